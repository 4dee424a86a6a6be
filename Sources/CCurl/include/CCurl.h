// One HTTP GET through libcurl, loaded with dlopen on the first download rather than linked.
// Linked, libcurl (through Foundation's URLSession) brought some thirty libraries (TLS,
// Kerberos, LDAP, SSH, IDN) that every start of `digits` loaded, for one command that
// downloads. libcurl4-openssl-dev provides this header's curl.h; libcurl4 is needed only to
// download.
#ifndef CCURL_H
#define CCURL_H
#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

/// The caller's side of a transfer. Each function returns 0 to go on, non-zero to stop it
/// (the transfer then ends with CURLE_WRITE_ERROR).
struct ccurl_handlers {
  void *context;
  /// The final response's status, its Content-Length (-1 when not given) and the first byte
  /// of its Content-Range (-1 when none); once, before any byte of its body.
  int (*response)(void *context, long status, int64_t length, int64_t range_start);
  /// The next bytes of the body.
  int (*body)(void *context, const void *bytes, size_t count);
};

/// The first byte of a `Content-Range: bytes N-M/T` header line of `count` bytes (any case,
/// any spaces), or -1 for any other line, a negative N or one past INT64_MAX.
int64_t ccurl_content_range_start(const char *line, size_t count);

/// 1 once libcurl.so.4 is loaded and started (for the process's life), 0 when it cannot
/// be: then `ccurl_get` may not be called.
int ccurl_available(void);

/// GETs `url` (http or https; redirects followed), from byte `range_start` on when it is
/// above 0. Connecting may take `timeout_seconds`, and so may any stall once connected.
/// Returns libcurl's result (CURLE_OK when the body ended); `error` gets its message.
int ccurl_get(const char *url, int64_t range_start, long timeout_seconds, const struct ccurl_handlers *handlers,
              char *error, size_t error_capacity);
#endif
