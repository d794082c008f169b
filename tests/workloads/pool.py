# A multiprocessing Pool that is never closed: its fork workers leave with os._exit (or are
# terminated) and never finalize; only the parent runs interpreter shutdown.
import multiprocessing as mp


def work(n):
    return len(bytearray(n << 20))


if __name__ == "__main__":
    mp.set_start_method("fork")
    pool = mp.Pool(3)
    print(sum(pool.map(work, [8, 8, 8, 8, 8, 8])))
