#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/// Every libcurl function used, found once in libcurl.so.4 (all in its ABI since 7.x).
static struct {
  __typeof__(&curl_global_init) curl_global_init;
  __typeof__(&curl_easy_init) curl_easy_init;
  __typeof__(&curl_easy_setopt) curl_easy_setopt;
  __typeof__(&curl_easy_perform) curl_easy_perform;
  __typeof__(&curl_easy_getinfo) curl_easy_getinfo;
  __typeof__(&curl_easy_cleanup) curl_easy_cleanup;
  __typeof__(&curl_easy_strerror) curl_easy_strerror;
} api;
/// 1 when `api` is complete and libcurl started, 0 otherwise.
static int loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
  void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!library) return;
#define LOAD(name) \
  if (!(api.name = (__typeof__(&name))dlsym(library, #name))) return
  LOAD(curl_global_init);
  LOAD(curl_easy_init);
  LOAD(curl_easy_setopt);
  LOAD(curl_easy_perform);
  LOAD(curl_easy_getinfo);
  LOAD(curl_easy_cleanup);
  LOAD(curl_easy_strerror);
#undef LOAD
  // Not thread-safe in libcurl before 7.84, hence here, once.
  loaded = api.curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

int ccurl_available(void) {
  pthread_once(&once, load);
  return loaded;
}

/// One transfer's state between libcurl's callbacks.
struct transfer {
  CURL *curl;
  const struct ccurl_handlers *handlers;
  /// The current response's Content-Range start, -1 until one is seen.
  int64_t range_start;
  /// Whether `handlers->response` was called for the current response.
  int answered;
  /// Whether a handler asked to stop.
  int stopped;
};

/// Hands the final response's head to the caller once, before its body.
static int answer(struct transfer *t) {
  if (t->answered) return 0;
  t->answered = 1;
  long status = 0;
  curl_off_t length = -1;
  api.curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  api.curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  return t->handlers->response(t->handlers->context, status, length < 0 ? -1 : (int64_t)length, t->range_start);
}

/// Each header line of each response (redirects included): a status line starts a new
/// response; `Content-Range: bytes N-M/T` gives N.
static size_t on_header(char *line, size_t size, size_t count, void *data) {
  struct transfer *t = data;
  size_t n = size * count;
  if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
    t->range_start = -1;
    t->answered = 0;
  } else {
    int64_t start = ccurl_content_range_start(line, n);
    if (start >= 0) t->range_start = start;
  }
  return n;
}

int64_t ccurl_content_range_start(const char *line, size_t count) {
  const char *end = line + count, *p = line + 14;
  if (count < 14 || strncasecmp(line, "content-range:", 14) != 0) return -1;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  if (end - p < 5 || strncasecmp(p, "bytes", 5) != 0) return -1;
  p += 5;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  int64_t start = 0;
  const char *digits = p;
  for (; p < end && *p >= '0' && *p <= '9'; p++) {
    if (start > (INT64_MAX - (*p - '0')) / 10) return -1;
    start = start * 10 + (*p - '0');
  }
  return p > digits && p < end && *p == '-' ? start : -1;
}

static size_t on_body(char *bytes, size_t size, size_t count, void *data) {
  struct transfer *t = data;
  size_t n = size * count;
  if (answer(t) != 0 || (n > 0 && t->handlers->body(t->handlers->context, bytes, n) != 0)) {
    t->stopped = 1;
    return 0;
  }
  return n;
}

int ccurl_get(const char *url, int64_t range_start, long timeout_seconds, const struct ccurl_handlers *handlers,
              char *error, size_t error_capacity) {
  char message[CURL_ERROR_SIZE] = "";
  CURL *curl = api.curl_easy_init();
  if (!curl) {
    snprintf(error, error_capacity, "libcurl could not start a transfer");
    return CURLE_FAILED_INIT;
  }
  struct transfer t = {curl, handlers, -1, 0, 0};
  char range[32];
  if (range_start > 0) {
    snprintf(range, sizeof range, "%lld-", (long long)range_start);
    api.curl_easy_setopt(curl, CURLOPT_RANGE, range);
  }
  api.curl_easy_setopt(curl, CURLOPT_URL, url);
  api.curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, message);
  api.curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  api.curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  api.curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  // http and https only, redirects included (no file://, no ftp:// from a hostile mirror).
  api.curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  api.curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  api.curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout_seconds);
  // A stall: under one byte a second for the whole timeout.
  api.curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  api.curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, timeout_seconds);
  api.curl_easy_setopt(curl, CURLOPT_USERAGENT, "digits");
  api.curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  api.curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  api.curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  api.curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  CURLcode result = api.curl_easy_perform(curl);
  // A response with no body (a 404, a 416) has had no body call to answer it.
  if (result == CURLE_OK && answer(&t) != 0) t.stopped = 1;
  if (t.stopped && result == CURLE_OK) result = CURLE_WRITE_ERROR;
  snprintf(error, error_capacity, "%s", message[0] ? message : api.curl_easy_strerror(result));
  api.curl_easy_cleanup(curl);
  return (int)result;
}
