/* chromium.h — headless Chromium for the tests that look at a page the way a
 * reader does: a screenshot of a file:// page as PNG, and the DOM Chromium
 * parsed from it. Every run is bounded in time and leaves no process behind:
 * Chromium forks zygotes, renderers and a GPU process into its process group,
 * and a crash handler that leaves the group (setsid); all of them are found by
 * the run's private directory on their command lines. */
#ifndef OCSPLAB_TESTS_CHROMIUM_H
#define OCSPLAB_TESTS_CHROMIUM_H

#include <stdint.h>

#include "errbuf.h"

/* A render takes well under a second on two cores (the lab's report: about
 * 0.7 s); a minute means Chromium hangs. */
#define CHROMIUM_TIMEOUT_MS 60000

/* The `chromium` in PATH as an absolute path. Returns 0, or -1 with "chromium
 * is not installed ... (install with scripts/install-deps.sh)". */
int chromium_find(char *path, size_t cap, struct errbuf *err);

/* Screenshots the page at the absolute path `html_path`, in a window of
 * width x height CSS pixels at scale 1, to `png_path` (a PNG of exactly that
 * size). Chromium's profile and HOME go in a fresh directory under `work_dir`
 * that is removed afterwards. Kills Chromium after timeout_ms. Returns 0 and
 * the wall time in *elapsed_ms (may be NULL), or -1 with the reason in err. */
int chromium_screenshot(const char *work_dir, const char *html_path, unsigned width,
                        unsigned height, const char *png_path, int timeout_ms, int64_t *elapsed_ms,
                        struct errbuf *err);

/* The DOM Chromium built from the page, serialized (--dump-dom; at most
 * 1 MiB). *dom is the caller's to free. Otherwise as chromium_screenshot. */
int chromium_dump_dom(const char *work_dir, const char *html_path, int timeout_ms, char **dom,
                      int64_t *elapsed_ms, struct errbuf *err);

#endif
