/* png_read.h — a small bounded PNG reader for the tests that look at what
 * Chromium drew (PNG: W3C Recommendation, 2nd edition, ISO/IEC 15948). It
 * reads 8-bit RGB or RGBA without interlacing, which is what Chromium's
 * --screenshot writes; any other kind is rejected with a message saying so. */
#ifndef OCSPLAB_TESTS_PNG_READ_H
#define OCSPLAB_TESTS_PNG_READ_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

/* The tests take screenshots of at most a few million pixels; the caps keep a
 * corrupt or hostile header from asking for gigabytes before any pixel is
 * checked. PNG_MAX_PIXELS bounds the product (256 MiB of RGBA). */
#define PNG_MAX_WIDTH 8192u
#define PNG_MAX_HEIGHT 32768u
#define PNG_MAX_PIXELS (64u * 1024 * 1024)
#define PNG_MAX_FILE_BYTES ((size_t)64 * 1024 * 1024)

struct png_image {
    uint32_t width;
    uint32_t height;
    uint8_t *rgba; /* width * height pixels, 4 bytes each (R, G, B, A), rows top to bottom */
};

/* Decodes the PNG in data[0..len) into *out (RGB gets alpha 255). Returns 0, or
 * -1 with the reason in err and *out left empty. The caller frees a decoded
 * image with png_image_free. */
int png_decode(const uint8_t *data, size_t len, struct png_image *out, struct errbuf *err);

/* Reads the file at `path` (at most PNG_MAX_FILE_BYTES) and decodes it. */
int png_read_file(const char *path, struct png_image *out, struct errbuf *err);

/* Frees the pixels; accepts NULL and a zeroed image, and leaves it zeroed. */
void png_image_free(struct png_image *image);

/* The pixel at (x, y): 4 bytes R, G, B, A. x < width and y < height. */
static inline const uint8_t *png_pixel(const struct png_image *image, uint32_t x, uint32_t y)
{
    return image->rgba + ((size_t)y * image->width + x) * 4;
}

#endif
