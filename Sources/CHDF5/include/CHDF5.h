// The calls the Keras importer makes into HDF5 (hdf5.c), loaded on the first .h5 file.
#ifndef CHDF5_H
#define CHDF5_H
#include <stddef.h>
#include <stdint.h>

/// HDF5's object id (hid_t, 64 bits since 1.10).
typedef int64_t chdf5_id;

/// 1 once HDF5 is loaded and started (for the process's life), 0 when it cannot be: then no
/// other chdf5_ call may be made.
int chdf5_available(void);

/// Turns off HDF5's printing of its error stack: failures come back as return codes.
void chdf5_quiet(void);

/// Opens an HDF5 file held in memory, read-only (HDF5 keeps its own copy). Negative on failure.
chdf5_id chdf5_open_image(const void *bytes, size_t count);

void chdf5_close_file(chdf5_id file);

/// Called with the path of each dataset; returning non-zero stops the walk.
typedef int (*chdf5_dataset_visitor)(const char *path, void *context);

/// Visits every dataset reachable from the root by hard links, each once, by name order.
/// 0 when the walk ended, 1 when the visitor stopped it, negative when HDF5 failed.
int chdf5_visit_datasets(chdf5_id file, chdf5_dataset_visitor visit, void *context);

enum {
  CHDF5_OK = 0,
  CHDF5_CANNOT_OPEN = -1,
  CHDF5_NOT_FLOAT = -2,
  CHDF5_RANK_TOO_HIGH = -3,
  CHDF5_STORED_ELSEWHERE = -4,
  CHDF5_READ_FAILED = -5,
  CHDF5_WRONG_COUNT = -6,
};

/// The dataset's dimensions (at most `max_rank`), if it holds floating-point numbers stored
/// in this file (no external raw-data files, no virtual datasets). One of the CHDF5_ codes.
int chdf5_dataset_shape(chdf5_id file, const char *path, int max_rank, unsigned long long *dims, int *rank);

/// Reads a float dataset of exactly `count` values, converted to native Float32.
int chdf5_read_floats(chdf5_id file, const char *path, float *out, size_t count);

/// Reads the scalar string attribute `name` of the file's root group into `out` (fixed or
/// variable length, at most `capacity` bytes, not NUL-terminated). Returns its length, -1
/// when there is no such attribute, -2 when it is not one string, -3 when it is longer than
/// `capacity`, -4 when it cannot be read.
long chdf5_read_root_string(chdf5_id file, const char *name, char *out, size_t capacity);
#endif
