// The calls the Keras importer makes into HDF5, through a library loaded with dlopen on the
// first .h5 file rather than linked: linked, Debian's HDF5 brought libcurl and some thirty
// libraries behind it (TLS, Kerberos, LDAP, SSH) into every start of `digits`. HDF5's
// constants are macros over its global ids, and its visit callbacks and info structs change
// names between 1.10, 1.12 and 1.14; this C code, compiled against the installed header,
// absorbs both. Debian keeps that header under hdf5/serial.
#include "CHDF5.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#else
#include <hdf5.h>
#endif

/// Every HDF5 function and global id used, found once in the library.
static struct {
  __typeof__(&H5open) H5open;
  __typeof__(&H5Eset_auto2) H5Eset_auto2;
  __typeof__(&H5Pcreate) H5Pcreate;
  __typeof__(&H5Pset_fapl_core) H5Pset_fapl_core;
  __typeof__(&H5Pset_file_image) H5Pset_file_image;
  __typeof__(&H5Fopen) H5Fopen;
  __typeof__(&H5Pclose) H5Pclose;
  __typeof__(&H5Fclose) H5Fclose;
  __typeof__(&H5Oopen) H5Oopen;
  __typeof__(&H5Iget_type) H5Iget_type;
  __typeof__(&H5Oclose) H5Oclose;
  __typeof__(&H5Dopen2) H5Dopen2;
  __typeof__(&H5Dget_type) H5Dget_type;
  __typeof__(&H5Dget_space) H5Dget_space;
  __typeof__(&H5Dget_create_plist) H5Dget_create_plist;
  __typeof__(&H5Tget_class) H5Tget_class;
  __typeof__(&H5Pget_external_count) H5Pget_external_count;
  __typeof__(&H5Pget_layout) H5Pget_layout;
  __typeof__(&H5Sget_simple_extent_ndims) H5Sget_simple_extent_ndims;
  __typeof__(&H5Sget_simple_extent_dims) H5Sget_simple_extent_dims;
  __typeof__(&H5Sclose) H5Sclose;
  __typeof__(&H5Tclose) H5Tclose;
  __typeof__(&H5Dclose) H5Dclose;
  __typeof__(&H5Sget_simple_extent_npoints) H5Sget_simple_extent_npoints;
  __typeof__(&H5Dread) H5Dread;
  __typeof__(&H5Aexists) H5Aexists;
  __typeof__(&H5Aopen) H5Aopen;
  __typeof__(&H5Aget_type) H5Aget_type;
  __typeof__(&H5Aget_space) H5Aget_space;
  __typeof__(&H5Tis_variable_str) H5Tis_variable_str;
  __typeof__(&H5Tcopy) H5Tcopy;
  __typeof__(&H5Tset_size) H5Tset_size;
  __typeof__(&H5Tset_cset) H5Tset_cset;
  __typeof__(&H5Tget_cset) H5Tget_cset;
  __typeof__(&H5Aread) H5Aread;
  __typeof__(&H5free_memory) H5free_memory;
  __typeof__(&H5Tget_size) H5Tget_size;
  __typeof__(&H5Aclose) H5Aclose;
  __typeof__(&H5Lvisit) H5Lvisit;
  hid_t *H5P_CLS_FILE_ACCESS_ID_g;
  hid_t *H5T_NATIVE_FLOAT_g;
  hid_t *H5T_C_S1_g;
} api;
/// 1 when `api` is complete and HDF5 started, 0 otherwise.
static int loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/// The library's names: Debian's serial build, then the plain one, newest ABI first.
static const char *const libraries[] = {
    "libhdf5_serial.so.310", "libhdf5_serial.so.200", "libhdf5_serial.so.103", "libhdf5.so.310",
    "libhdf5.so.200", "libhdf5.so.103", "libhdf5_serial.so", "libhdf5.so"};

static void load(void) {
  void *library = NULL;
  for (size_t i = 0; !library && i < sizeof libraries / sizeof *libraries; i++) {
    library = dlopen(libraries[i], RTLD_NOW | RTLD_LOCAL);
  }
  if (!library) return;
#define LOAD(name) \
  if (!(api.name = (__typeof__(&name))dlsym(library, #name))) return
  LOAD(H5open);
  LOAD(H5Eset_auto2);
  LOAD(H5Pcreate);
  LOAD(H5Pset_fapl_core);
  LOAD(H5Pset_file_image);
  LOAD(H5Fopen);
  LOAD(H5Pclose);
  LOAD(H5Fclose);
  LOAD(H5Oopen);
  LOAD(H5Iget_type);
  LOAD(H5Oclose);
  LOAD(H5Dopen2);
  LOAD(H5Dget_type);
  LOAD(H5Dget_space);
  LOAD(H5Dget_create_plist);
  LOAD(H5Tget_class);
  LOAD(H5Pget_external_count);
  LOAD(H5Pget_layout);
  LOAD(H5Sget_simple_extent_ndims);
  LOAD(H5Sget_simple_extent_dims);
  LOAD(H5Sclose);
  LOAD(H5Tclose);
  LOAD(H5Dclose);
  LOAD(H5Sget_simple_extent_npoints);
  LOAD(H5Dread);
  LOAD(H5Aexists);
  LOAD(H5Aopen);
  LOAD(H5Aget_type);
  LOAD(H5Aget_space);
  LOAD(H5Tis_variable_str);
  LOAD(H5Tcopy);
  LOAD(H5Tset_size);
  LOAD(H5Tset_cset);
  LOAD(H5Tget_cset);
  LOAD(H5Aread);
  LOAD(H5free_memory);
  LOAD(H5Tget_size);
  LOAD(H5Aclose);
#undef LOAD
  // H5Lvisit2 from 1.12 on (H5Lvisit is then a macro); its callback's info struct starts
  // with the link type, the only field read, as 1.10's does.
  void *visit = dlsym(library, "H5Lvisit2");
  if (!(api.H5Lvisit = (__typeof__(&H5Lvisit))(visit ? visit : dlsym(library, "H5Lvisit")))) return;
  if (!(api.H5P_CLS_FILE_ACCESS_ID_g = (hid_t *)dlsym(library, "H5P_CLS_FILE_ACCESS_ID_g"))) return;
  if (!(api.H5T_NATIVE_FLOAT_g = (hid_t *)dlsym(library, "H5T_NATIVE_FLOAT_g"))) return;
  if (!(api.H5T_C_S1_g = (hid_t *)dlsym(library, "H5T_C_S1_g"))) return;
  // The global ids are set by H5open.
  loaded = api.H5open() >= 0;
}

int chdf5_available(void) {
  pthread_once(&once, load);
  return loaded;
}

// From here on the code reads as plain HDF5: each call and global id goes through `api`.
#define H5Eset_auto2 api.H5Eset_auto2
#define H5Pcreate api.H5Pcreate
#define H5Pset_fapl_core api.H5Pset_fapl_core
#define H5Pset_file_image api.H5Pset_file_image
#define H5Fopen api.H5Fopen
#define H5Pclose api.H5Pclose
#define H5Fclose api.H5Fclose
#define H5Oopen api.H5Oopen
#define H5Iget_type api.H5Iget_type
#define H5Oclose api.H5Oclose
#define H5Dopen2 api.H5Dopen2
#define H5Dget_type api.H5Dget_type
#define H5Dget_space api.H5Dget_space
#define H5Dget_create_plist api.H5Dget_create_plist
#define H5Tget_class api.H5Tget_class
#define H5Pget_external_count api.H5Pget_external_count
#define H5Pget_layout api.H5Pget_layout
#define H5Sget_simple_extent_ndims api.H5Sget_simple_extent_ndims
#define H5Sget_simple_extent_dims api.H5Sget_simple_extent_dims
#define H5Sclose api.H5Sclose
#define H5Tclose api.H5Tclose
#define H5Dclose api.H5Dclose
#define H5Sget_simple_extent_npoints api.H5Sget_simple_extent_npoints
#define H5Dread api.H5Dread
#define H5Aexists api.H5Aexists
#define H5Aopen api.H5Aopen
#define H5Aget_type api.H5Aget_type
#define H5Aget_space api.H5Aget_space
#define H5Tis_variable_str api.H5Tis_variable_str
#define H5Tcopy api.H5Tcopy
#define H5Tset_size api.H5Tset_size
#define H5Tset_cset api.H5Tset_cset
#define H5Tget_cset api.H5Tget_cset
#define H5Aread api.H5Aread
#define H5free_memory api.H5free_memory
#define H5Tget_size api.H5Tget_size
#define H5Aclose api.H5Aclose
#undef H5Lvisit
#define H5Lvisit api.H5Lvisit
#undef H5OPEN
#define H5OPEN
#undef H5CHECK
#define H5CHECK
#define H5P_CLS_FILE_ACCESS_ID_g (*api.H5P_CLS_FILE_ACCESS_ID_g)
#define H5T_NATIVE_FLOAT_g (*api.H5T_NATIVE_FLOAT_g)
#define H5T_C_S1_g (*api.H5T_C_S1_g)

/// Turns off HDF5's printing of its error stack: failures come back as return codes.
void chdf5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// Opens an HDF5 file held in memory, read-only (HDF5 keeps its own copy). Negative on failure.
hid_t chdf5_open_image(const void *bytes, size_t count) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return -1;
  hid_t file = -1;
  // A name of its own: the core driver takes a file of the same name that is already open
  // for the same file, so two images open at once (two imports in one process) would read
  // as one.
  static unsigned long opened;
  char name[48];
  snprintf(name, sizeof name, "in-memory-%lu", __atomic_add_fetch(&opened, 1, __ATOMIC_RELAXED));
  if (H5Pset_fapl_core(fapl, 1 << 16, 0) >= 0 && H5Pset_file_image(fapl, (void *)bytes, count) >= 0) {
    file = H5Fopen(name, H5F_ACC_RDONLY, fapl);
  }
  H5Pclose(fapl);
  return file;
}

void chdf5_close_file(hid_t file) { H5Fclose(file); }

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
int chdf5_visit_datasets(hid_t file, chdf5_dataset_visitor visit, void *context) {
  struct chdf5_walk walk = {visit, context};
  herr_t status = H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, chdf5_link, &walk);
  return status < 0 ? -1 : (int)status;
}

/// The dataset's dimensions (at most `max_rank`), if it holds floating-point numbers stored
/// in this file (no external raw-data files, no virtual datasets). One of the CHDF5_ codes.
int chdf5_dataset_shape(hid_t file, const char *path, int max_rank, unsigned long long *dims,
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
int chdf5_read_floats(hid_t file, const char *path, float *out, size_t count) {
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
long chdf5_read_root_string(hid_t file, const char *name, char *out, size_t capacity) {
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
