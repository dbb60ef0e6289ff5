// syscall-batch-floor.c - what one system call costs on this machine, and what a loopback receive plus send costs
// when a loop turn's operations go one system call each (as recv/send) or all in one io_uring_enter (as the proxy's
// SystemCallBatch does). Not part of the proxy: a measurement that decided its design (docs/BENCHMARKS.md).
//
//   gcc -O2 -o /tmp/syscall-batch-floor loadtests/SyscallBatchFloor/syscall-batch-floor.c
//   taskset -c 1 /tmp/syscall-batch-floor [sockets per turn, default 8]
//
// One thread plays both ends of N loopback TCP connections; each turn sends a 38-byte request on every connection,
// receives them all, sends a 9-byte reply on each and receives those: per connection one receive plus one send at each
// end, which is what a proxy makes per request at pipeline 1. Every operation carries MSG_DONTWAIT, so io_uring
// completes each during the submit (checked: every completion is there when io_uring_enter returns).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../Native/raw-io-uring.h"

#define MAX_SOCKETS 64

static char buffers[MAX_SOCKETS][256];
static char request[38], reply[9];

static double cpu_ns(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e9 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e3;
}

// Sends `data` on every socket of `fds` (send = 1) or receives `length` bytes from each (send = 0).
static void turn(int *fds, int count, int batched, int send_, const char *data, int length)
{
    int flags = MSG_DONTWAIT | (send_ ? MSG_NOSIGNAL : 0);
    if (!batched)
    {
        for (int i = 0; i < count; i++)
        {
            ssize_t done = send_ ? send(fds[i], data, length, flags) : recv(fds[i], buffers[i], sizeof buffers[i], flags);
            if (done != length)
                fail(send_ ? "send" : "recv");
        }
        return;
    }

    unsigned tail = *sq_tail;
    for (int i = 0; i < count; i++)
    {
        struct io_uring_sqe *sqe = &sqes[(tail + i) & *sq_mask];
        memset(sqe, 0, sizeof *sqe);
        sqe->opcode = send_ ? IORING_OP_SEND : IORING_OP_RECV;
        sqe->fd = fds[i];
        sqe->addr = (unsigned long)(send_ ? data : buffers[i]);
        sqe->len = send_ ? (unsigned)length : (unsigned)sizeof buffers[i];
        sqe->msg_flags = flags;
        sqe->user_data = i;
    }
    __atomic_store_n(sq_tail, tail + count, __ATOMIC_RELEASE);
    if (syscall(SYS_io_uring_enter, ring, count, 0, 0, 0, 0) != count)
        fail("io_uring_enter");
    unsigned head = *cq_head, ready = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
    if (ready - head != (unsigned)count)
    {
        fprintf(stderr, "only %u of %d completions after the submit\n", ready - head, count);
        exit(1);
    }
    for (; head != ready; head++)
        if (cqes[head & *cq_mask].res != length)
            fail("completion");
    __atomic_store_n(cq_head, head, __ATOMIC_RELEASE);
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 8;
    if (count < 1 || count > MAX_SOCKETS)
        count = 8;

    int calls = 2000000;
    double start = cpu_ns();
    for (int i = 0; i < calls; i++)
        syscall(SYS_getppid);
    printf("one system call (getppid): %.0f ns CPU\n", (cpu_ns() - start) / calls);

    setup_ring(256);
    int clients[MAX_SOCKETS], servers[MAX_SOCKETS], one = 1;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t length = sizeof address;
    if (bind(listener, (void *)&address, sizeof address) || getsockname(listener, (void *)&address, &length) || listen(listener, MAX_SOCKETS))
        fail("listen");
    for (int i = 0; i < count; i++)
    {
        clients[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(clients[i], (void *)&address, sizeof address))
            fail("connect");
        servers[i] = accept(listener, 0, 0);
        setsockopt(clients[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(servers[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }

    printf("%d connections per turn; CPU per connection per turn, divided by 2 (each end makes one receive + one send):\n", count);
    for (int round = 0; round < 6; round++)
    {
        int batched = round % 2, turns = 400000 / count;
        start = cpu_ns();
        for (int t = 0; t < turns; t++)
        {
            turn(clients, count, batched, 1, request, sizeof request);
            turn(servers, count, batched, 0, request, sizeof request);
            turn(servers, count, batched, 1, reply, sizeof reply);
            turn(clients, count, batched, 0, reply, sizeof reply);
        }
        printf("  %-32s %.2f us\n", batched ? "one io_uring_enter per turn:" : "one system call per operation:", (cpu_ns() - start) / 1e3 / turns / count / 2);
    }
    return 0;
}
