// The HDF5 C library (Debian: libhdf5-dev, headers under /usr/include/hdf5/serial, found
// through pkg-config "hdf5") and the few calls the Keras importer needs, as functions:
// HDF5's constants are macros Swift cannot import, and its visit callbacks and info structs
// change names between 1.10, 1.12 and 1.14, which C code written against the macros absorbs.
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

/// Turns off HDF5's printing of its error stack: failures come back as return codes.
static inline void chdf5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// Opens an HDF5 file held in memory, read-only (HDF5 keeps its own copy). Negative on failure.
static inline hid_t chdf5_open_image(const void *bytes, size_t count) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return -1;
  hid_t file = -1;
  if (H5Pset_fapl_core(fapl, 1 << 16, 0) >= 0 && H5Pset_file_image(fapl, (void *)bytes, count) >= 0) {
    file = H5Fopen("in-memory", H5F_ACC_RDONLY, fapl);
  }
  H5Pclose(fapl);
  return file;
}

static inline void chdf5_close_file(hid_t file) { H5Fclose(file); }

/// Called with the path of each dataset; returning non-zero stops the walk.
typedef int (*chdf5_dataset_visitor)(const char *path, void *context);

struct chdf5_walk {
  chdf5_dataset_visitor visit;
  void *context;
};

static herr_t chdf5_link(hid_t group, const char *name, const H5L_info_t *info, void *data) {
  // Only hard links: a soft link could point anywhere, an external link into another file.
  if (info->type != H5L_TYPE_HARD) return 0;
  hid_t object = H5Oopen(group, name, H5P_DEFAULT);
  if (object < 0) return -1;
  int isDataset = H5Iget_type(object) == H5I_DATASET;
  H5Oclose(object);
  if (!isDataset) return 0;
  struct chdf5_walk *walk = (struct chdf5_walk *)data;
  return walk->visit(name, walk->context) ? 1 : 0;
}

/// Visits every dataset reachable from the root by hard links, each once, by name order.
/// 0 when the walk ended, 1 when the visitor stopped it, negative when HDF5 failed.
static inline int chdf5_visit_datasets(hid_t file, chdf5_dataset_visitor visit, void *context) {
  struct chdf5_walk walk = {visit, context};
  herr_t status = H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, chdf5_link, &walk);
  return status < 0 ? -1 : (int)status;
}

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
static inline int chdf5_dataset_shape(hid_t file, const char *path, int max_rank, unsigned long long *dims,
                                      int *rank) {
  hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
  if (dataset < 0) return CHDF5_CANNOT_OPEN;
  int result = CHDF5_OK;
  hid_t type = H5Dget_type(dataset), space = H5Dget_space(dataset), plist = H5Dget_create_plist(dataset);
  if (type < 0 || space < 0 || plist < 0) {
    result = CHDF5_CANNOT_OPEN;
  } else if (H5Tget_class(type) != H5T_FLOAT) {
    result = CHDF5_NOT_FLOAT;
  } else if (H5Pget_external_count(plist) != 0 || H5Pget_layout(plist) == H5D_VIRTUAL) {
    result = CHDF5_STORED_ELSEWHERE;
  } else {
    int n = H5Sget_simple_extent_ndims(space);
    if (n < 0) {
      result = CHDF5_CANNOT_OPEN;
    } else if (n > max_rank) {
      result = CHDF5_RANK_TOO_HIGH;
    } else {
      hsize_t d[H5S_MAX_RANK];
      if (H5Sget_simple_extent_dims(space, d, NULL) < 0) {
        result = CHDF5_CANNOT_OPEN;
      } else {
        for (int i = 0; i < n; i++) dims[i] = d[i];
        *rank = n;
      }
    }
  }
  if (plist >= 0) H5Pclose(plist);
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  H5Dclose(dataset);
  return result;
}

/// Reads a float dataset of exactly `count` values, converted to native Float32.
static inline int chdf5_read_floats(hid_t file, const char *path, float *out, size_t count) {
  hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
  if (dataset < 0) return CHDF5_CANNOT_OPEN;
  int result = CHDF5_OK;
  hid_t space = H5Dget_space(dataset);
  hssize_t points = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
  if (points < 0 || (size_t)points != count) {
    result = CHDF5_WRONG_COUNT;
  } else if (H5Dread(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
    result = CHDF5_READ_FAILED;
  }
  if (space >= 0) H5Sclose(space);
  H5Dclose(dataset);
  return result;
}

/// Reads the scalar string attribute `name` of the file's root group into `out` (fixed or
/// variable length, at most `capacity` bytes, not NUL-terminated). Returns its length, -1
/// when there is no such attribute, -2 when it is not one string, -3 when it is longer than
/// `capacity`, -4 when it cannot be read.
static inline long chdf5_read_root_string(hid_t file, const char *name, char *out, size_t capacity) {
  if (H5Aexists(file, name) <= 0) return -1;
  hid_t attribute = H5Aopen(file, name, H5P_DEFAULT);
  if (attribute < 0) return -4;
  long result = -4;
  hid_t type = H5Aget_type(attribute), space = H5Aget_space(attribute), memory = -1;
  if (type < 0 || space < 0) {
    result = -4;
  } else if (H5Tget_class(type) != H5T_STRING || H5Sget_simple_extent_npoints(space) != 1) {
    result = -2;
  } else if (H5Tis_variable_str(type) > 0) {
    memory = H5Tcopy(H5T_C_S1);
    char *text = NULL;
    // The stored character set (h5py writes UTF-8, Keras ASCII): HDF5 converts between none.
    if (memory >= 0 && H5Tset_size(memory, H5T_VARIABLE) >= 0 && H5Tset_cset(memory, H5Tget_cset(type)) >= 0 &&
        H5Aread(attribute, memory, &text) >= 0 && text) {
      size_t length = strlen(text);
      if (length > capacity) {
        result = -3;
      } else {
        memcpy(out, text, length);
        result = (long)length;
      }
      H5free_memory(text);
    }
  } else {
    size_t size = H5Tget_size(type);
    // One byte more in memory: HDF5 writes the terminating NUL there.
    if (size >= capacity) {
      result = -3;
    } else {
      memory = H5Tcopy(H5T_C_S1);
      if (memory >= 0 && H5Tset_size(memory, size + 1) >= 0 && H5Tset_cset(memory, H5Tget_cset(type)) >= 0 &&
          H5Aread(attribute, memory, out) >= 0) {
        result = (long)strnlen(out, size);
      }
    }
  }
  if (memory >= 0) H5Tclose(memory);
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  H5Aclose(attribute);
  return result;
}
