// floor-proxy.c - the least work a RESP proxy can do per request, in C, to measure what the kernel alone costs.
//
// Not part of RespProxy: a yardstick for issue 4's "proxy CPU per request" at pipeline 1 (docs/BENCHMARKS.md). It
// does only what any proxy must: one epoll loop thread, clients' requests framed (RESP arrays or inline lines) and
// forwarded in arrival order over one shared backend connection, replies framed and handed back in the same order,
// each turn's output sent at the end of the turn. No command table, no routing, no hashing, no error replies, no
// limits beyond fixed buffers: whatever it costs per request is the floor for this kernel and this machine.
// "batched" makes a turn's receives in one io_uring_enter and its sends in another, as RespProxy's SystemCallBatch
// does (a batch of one as the plain call); "plain" makes one recv or send call each.
//
//   gcc -O2 -o /tmp/floor-proxy loadtests/ProxyFloor/floor-proxy.c
//   taskset -c 1 /tmp/floor-proxy LISTEN_PORT BACKEND_PORT [batched|plain]
//
// As a side-by-side endpoint (prints the same CPU per request as every other proxy there):
//   loadtests/compare.sh ... --extra "floor=exec /tmp/floor-proxy {listen_port} {backend_port} batched"
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../Native/raw-io-uring.h"

#define MAX_FDS 65536
#define MAX_EVENTS 256
#define CLIENT_BUFFER (256 * 1024)
#define BACKEND_BUFFER (8 * 1024 * 1024)
#define FIFO_SIZE (1u << 20)
#define RING_ENTRIES 512

struct conn
{
    int fd, generation, dirty, wants_out;
    char *in, *out;
    size_t in_len, out_len, in_size, out_size;
};

static struct conn *conns[MAX_FDS];
static int epoll_fd, listener, backend_fd, batched;
static struct { int fd, generation; } fifo[FIFO_SIZE];
static unsigned fifo_head, fifo_tail;
static int dirty[MAX_FDS], dirty_count;

// ---- io_uring: a turn's receives or sends in one io_uring_enter, every operation MSG_DONTWAIT (completes inline).

struct op
{
    int fd, send;
    char *buffer;
    size_t length;
    long result;
};

static long plain_call(struct op *op)
{
    long done = op->send ? send(op->fd, op->buffer, op->length, MSG_DONTWAIT | MSG_NOSIGNAL)
                         : recv(op->fd, op->buffer, op->length, MSG_DONTWAIT);
    return done >= 0 ? done : -errno;
}

static void make(struct op *ops, int count)
{
    if (!batched || count == 1)
    {
        for (int i = 0; i < count; i++)
            ops[i].result = plain_call(&ops[i]);
        return;
    }

    unsigned tail = *sq_tail;
    for (int i = 0; i < count; i++)
    {
        struct io_uring_sqe *sqe = &sqes[(tail + i) & *sq_mask];
        memset(sqe, 0, sizeof *sqe);
        sqe->opcode = ops[i].send ? IORING_OP_SEND : IORING_OP_RECV;
        sqe->fd = ops[i].fd;
        sqe->addr = (unsigned long)ops[i].buffer;
        sqe->len = (unsigned)ops[i].length;
        sqe->msg_flags = MSG_DONTWAIT | (ops[i].send ? MSG_NOSIGNAL : 0);
        sqe->user_data = (unsigned long)i;
    }
    __atomic_store_n(sq_tail, tail + count, __ATOMIC_RELEASE);
    int reaped = 0, submitted = 0;
    while (submitted < count)
    {
        long taken = syscall(SYS_io_uring_enter, ring, count - submitted, 0, 0, 0, 0);
        if (taken < 0 && errno != EINTR)
            fail("io_uring_enter");
        submitted += taken > 0 ? (int)taken : 0;
    }
    while (reaped < count)
    {
        unsigned head = *cq_head, ready = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
        for (; head != ready; head++, reaped++)
            ops[cqes[head & *cq_mask].user_data].result = cqes[head & *cq_mask].res;
        __atomic_store_n(cq_head, head, __ATOMIC_RELEASE);
        if (reaped < count && syscall(SYS_io_uring_enter, ring, 0, count - reaped, IORING_ENTER_GETEVENTS, 0, 0) < 0 && errno != EINTR)
            fail("io_uring_enter (wait)");
    }
}

// ---- RESP framing: the length of the whole frame at p, 0 while incomplete.

static long frame_length(const char *p, size_t n)
{
    const char *newline = n ? memchr(p, '\n', n) : NULL;
    if (!newline)
        return 0;
    long line = newline - p + 1;
    switch (p[0])
    {
    case '$':
    {
        long length = atol(p + 1);
        if (length < 0)
            return line;
        return (size_t)(line + length + 2) <= n ? line + length + 2 : 0;
    }
    case '*':
    {
        long count = atol(p + 1), offset = line;
        for (long i = 0; i < count; i++)
        {
            long element = frame_length(p + offset, n - offset);
            if (element == 0)
                return 0;
            offset += element;
        }
        return offset;
    }
    default: // simple strings, errors, integers, and inline commands: one line
        return line;
    }
}

// ---- connections

static void watch(struct conn *c, int out)
{
    struct epoll_event event = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.fd = c->fd };
    if (epoll_ctl(epoll_fd, c->wants_out == -1 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c->fd, &event))
        fail("epoll_ctl");
    c->wants_out = out;
}

static struct conn *open_conn(int fd, size_t size)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *c = conns[fd] ? conns[fd] : calloc(1, sizeof *c);
    if (!c->in || c->in_size != size)
    {
        free(c->in);
        free(c->out);
        c->in = malloc(size);
        c->out = malloc(size);
        c->in_size = c->out_size = size;
    }
    c->fd = fd;
    c->generation++;
    c->in_len = c->out_len = 0;
    c->dirty = 0;
    c->wants_out = -1;
    conns[fd] = c;
    watch(c, 0);
    return c;
}

static void close_conn(struct conn *c)
{
    if (c->fd == backend_fd)
    {
        fprintf(stderr, "floor-proxy: backend connection lost\n");
        exit(1);
    }
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->generation++; // replies still owed to this client are dropped
    c->fd = -1;
}

static void append(struct conn *to, const char *bytes, size_t length)
{
    if (to->out_len + length > to->out_size)
    {
        fprintf(stderr, "floor-proxy: output buffer full\n");
        exit(1);
    }
    memcpy(to->out + to->out_len, bytes, length);
    to->out_len += length;
    if (!to->dirty)
    {
        to->dirty = 1;
        dirty[dirty_count++] = to->fd;
    }
}

// Requests: forwarded to the backend in order, their clients remembered in the same order.
static void on_client_input(struct conn *c)
{
    struct conn *backend = conns[backend_fd];
    size_t offset = 0;
    long length;
    while ((length = frame_length(c->in + offset, c->in_len - offset)) > 0)
    {
        if (fifo_tail - fifo_head == FIFO_SIZE)
            fail("too many requests in flight");
        fifo[fifo_tail % FIFO_SIZE].fd = c->fd;
        fifo[fifo_tail % FIFO_SIZE].generation = c->generation;
        fifo_tail++;
        append(backend, c->in + offset, (size_t)length);
        offset += (size_t)length;
    }
    memmove(c->in, c->in + offset, c->in_len - offset);
    c->in_len -= offset;
    if (c->in_len == c->in_size)
        close_conn(c); // a request larger than the buffer: out of scope here
}

// Replies: each to the client of the oldest request still owed one.
static void on_backend_input(struct conn *b)
{
    size_t offset = 0;
    long length;
    while ((length = frame_length(b->in + offset, b->in_len - offset)) > 0)
    {
        if (fifo_head == fifo_tail)
        {
            fprintf(stderr, "floor-proxy: a reply without a request\n");
            exit(1);
        }
        int fd = fifo[fifo_head % FIFO_SIZE].fd, generation = fifo[fifo_head % FIFO_SIZE].generation;
        fifo_head++;
        if (conns[fd] && conns[fd]->fd == fd && conns[fd]->generation == generation)
            append(conns[fd], b->in + offset, (size_t)length);
        offset += (size_t)length;
    }
    memmove(b->in, b->in + offset, b->in_len - offset);
    b->in_len -= offset;
}

static void accept_clients(void)
{
    int fd;
    while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0)
    {
        if (fd >= MAX_FDS)
        {
            close(fd);
            continue;
        }
        open_conn(fd, CLIENT_BUFFER);
    }
}

static int tcp_socket(int port, int listen_)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (listen_ ? bind(fd, (void *)&address, sizeof address) || listen(fd, 1024) : connect(fd, (void *)&address, sizeof address))
        fail(listen_ ? "listen" : "connect to the backend");
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
        fail("O_NONBLOCK");
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 3)
    {
        fprintf(stderr, "usage: floor-proxy LISTEN_PORT BACKEND_PORT [batched|plain]\n");
        return 2;
    }
    batched = argc < 4 || strcmp(argv[3], "plain") != 0;
    if (batched)
        setup_ring(RING_ENTRIES);
    epoll_fd = epoll_create1(0);
    backend_fd = tcp_socket(atoi(argv[2]), 0);
    open_conn(backend_fd, BACKEND_BUFFER);
    listener = tcp_socket(atoi(argv[1]), 1);
    struct epoll_event event = { .events = EPOLLIN, .data.fd = listener };
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event);
    fprintf(stderr, "floor-proxy: listening on 127.0.0.1:%s, backend 127.0.0.1:%s, %s\n", argv[1], argv[2], batched ? "batched (io_uring)" : "plain calls");

    static struct epoll_event events[MAX_EVENTS];
    static struct op ops[RING_ENTRIES];
    static struct conn *owners[MAX_EVENTS];
    for (;;)
    {
        int count = epoll_wait(epoll_fd, events, MAX_EVENTS, -1);
        if (count < 0)
        {
            if (errno == EINTR)
                continue;
            fail("epoll_wait");
        }

        // One receive per readable connection, all in one call when batched.
        int receives = 0;
        for (int i = 0; i < count; i++)
        {
            int fd = events[i].data.fd;
            if (fd == listener)
            {
                accept_clients();
                continue;
            }
            struct conn *c = conns[fd];
            if ((events[i].events & EPOLLOUT) && !c->dirty && c->out_len)
            {
                c->dirty = 1;
                dirty[dirty_count++] = fd;
            }
            if (!(events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            owners[receives] = c;
            ops[receives] = (struct op){ .fd = fd, .send = 0, .buffer = c->in + c->in_len, .length = c->in_size - c->in_len };
            receives++;
        }
        make(ops, receives);
        for (int i = 0; i < receives; i++)
        {
            struct conn *c = owners[i];
            long result = ops[i].result;
            if (result == -EAGAIN)
                continue;
            if (result <= 0)
            {
                close_conn(c);
                continue;
            }
            c->in_len += (size_t)result;
            if (c->fd == backend_fd)
                on_backend_input(c);
            else
                on_client_input(c);
        }

        // The turn's output: every connection with bytes to send, all in one call when batched (a send that stops
        // short leaves the rest for EPOLLOUT).
        for (int first = 0; first < dirty_count; first += RING_ENTRIES)
        {
            int sends = 0;
            for (int i = first; i < dirty_count && i < first + RING_ENTRIES; i++)
            {
                struct conn *c = conns[dirty[i]];
                if (!c->dirty)
                    continue; // listed twice (its descriptor was reused this turn)
                c->dirty = 0;
                if (c->fd >= 0 && c->out_len > 0)
                    ops[sends++] = (struct op){ .fd = c->fd, .send = 1, .buffer = c->out, .length = c->out_len };
            }
            make(ops, sends);
            for (int i = 0; i < sends; i++)
            {
                struct conn *c = conns[ops[i].fd];
                long result = ops[i].result;
                if (result < 0 && result != -EAGAIN)
                {
                    close_conn(c);
                    continue;
                }
                size_t sent = result > 0 ? (size_t)result : 0;
                memmove(c->out, c->out + sent, c->out_len - sent);
                c->out_len -= sent;
                if ((c->out_len > 0) != (c->wants_out == 1))
                    watch(c, c->out_len > 0);
            }
        }
        dirty_count = 0;
    }
}
