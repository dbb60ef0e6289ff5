using RespProxy.Connections;
using Xunit;

namespace RespProxy.IntegrationTests.Connections;

/// <summary>The pool behind large request and reply buffers: power-of-two sizes, reuse, and its bound.</summary>
public sealed class LargeArrayPoolTests
{
    [Theory]
    [InlineData(1, 128 * 1024)]
    [InlineData(64 * 1024 + 1, 128 * 1024)]
    [InlineData(128 * 1024, 128 * 1024)]
    [InlineData(128 * 1024 + 1, 256 * 1024)]
    [InlineData(3_000_000, 4 * 1024 * 1024)]
    public void Rents_the_power_of_two_that_fits(int requested, int expected)
    {
        var pool = new LargeArrayPool(maxKeptBytes: 16 * 1024 * 1024);
        Assert.Equal(expected, pool.Rent(requested).Length);
    }

    [Fact]
    public void A_returned_array_is_rented_again_and_leaves_the_pool()
    {
        var pool = new LargeArrayPool(maxKeptBytes: 16 * 1024 * 1024);
        var first = pool.Rent(200_000);
        pool.Return(first);
        Assert.Equal(first.Length, pool.KeptBytes);

        Assert.Same(first, pool.Rent(150_000));
        Assert.Equal(0, pool.KeptBytes);

        // Another size class does not hand out the kept array.
        pool.Return(first);
        Assert.NotSame(first, pool.Rent(600_000));
        Assert.Equal(first.Length, pool.KeptBytes);
    }

    [Fact]
    public void Keeps_no_more_than_its_bound()
    {
        var pool = new LargeArrayPool(maxKeptBytes: 512 * 1024);
        var arrays = Enumerable.Range(0, 6).Select(_ => pool.Rent(128 * 1024)).ToArray();
        foreach (var array in arrays)
        {
            pool.Return(array);
        }

        Assert.Equal(512 * 1024, pool.KeptBytes);
        var rentedAgain = Enumerable.Range(0, 6).Select(_ => pool.Rent(128 * 1024)).ToArray();
        Assert.Equal(4, rentedAgain.Count(array => arrays.Contains(array)));
        Assert.Equal(0, pool.KeptBytes);
    }

    [Fact]
    public void Arrays_it_did_not_size_are_not_kept()
    {
        var pool = new LargeArrayPool(maxKeptBytes: 16 * 1024 * 1024);
        pool.Return(new byte[64 * 1024]);
        pool.Return(new byte[200_000]);
        Assert.Equal(0, pool.KeptBytes);
    }

    [Fact]
    public void Returns_from_many_threads_are_counted_exactly()
    {
        var pool = new LargeArrayPool(maxKeptBytes: 64L * 1024 * 1024);
        Parallel.For(0, 8, _ =>
        {
            for (int i = 0; i < 200; i++)
            {
                pool.Return(pool.Rent(128 * 1024));
            }
        });

        // Every array rented was returned; at most one per thread was ever out at once, and all of them fit the bound.
        Assert.True(pool.KeptBytes is > 0 and <= 8 * 128 * 1024, $"kept {pool.KeptBytes} bytes");
        Assert.Equal(0, pool.KeptBytes % (128 * 1024));
    }
}
