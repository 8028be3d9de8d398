/* png_read.c — bounded PNG decoding for tests: signature, chunks with their
 * CRCs (PNG 2nd ed. section 5), IHDR (11.2.2), the concatenated IDAT stream
 * inflated with zlib (10), and the five filters undone (9). Every read goes
 * through a cursor that checks what is left before it moves. */
#include "png_read.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fileio.h"

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

/* Section 5.3: a chunk is at most 2^31 - 1 bytes long. */
#define PNG_MAX_CHUNK_BYTES 0x7fffffffu

struct png_cursor {
    const uint8_t *p;
    size_t left;
};

static int png_read_bytes(struct png_cursor *in, size_t n, const uint8_t **bytes)
{
    if (in->left < n)
        return -1;
    *bytes = in->p;
    in->p += n;
    in->left -= n;
    return 0;
}

static uint32_t png_be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int png_read_u32(struct png_cursor *in, uint32_t *value)
{
    const uint8_t *b;
    if (png_read_bytes(in, 4, &b) != 0)
        return -1;
    *value = png_be32(b);
    return 0;
}

struct png_chunk {
    char type[5]; /* four letters and a NUL */
    const uint8_t *data;
    uint32_t len;
};

/* One chunk: length, type, data, CRC over type and data (section 5.3). */
static int png_read_chunk(struct png_cursor *in, struct png_chunk *chunk, struct errbuf *err)
{
    struct png_cursor at = *in;
    const uint8_t *type;
    uint32_t crc_stored;
    if (png_read_u32(&at, &chunk->len) != 0 || png_read_bytes(&at, 4, &type) != 0) {
        errbuf_set(err, "the file ends inside a chunk header (%zu bytes left; truncated?)",
                   in->left);
        return -1;
    }
    for (size_t i = 0; i < 4; i++) {
        bool is_letter = (type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z');
        if (!is_letter) {
            errbuf_set(err, "a chunk type is not four letters (byte 0x%02x): corrupt file",
                       type[i]);
            return -1;
        }
        chunk->type[i] = (char)type[i];
    }
    chunk->type[4] = 0;
    if (chunk->len > PNG_MAX_CHUNK_BYTES) {
        errbuf_set(err, "chunk %s claims %u bytes (at most 2^31 - 1 allowed)", chunk->type,
                   chunk->len);
        return -1;
    }
    if (png_read_bytes(&at, chunk->len, &chunk->data) != 0 || png_read_u32(&at, &crc_stored) != 0) {
        errbuf_set(err, "chunk %s claims %u bytes but the file ends first (truncated?)",
                   chunk->type, chunk->len);
        return -1;
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, type, 4);
    crc = crc32(crc, chunk->data, (uInt)chunk->len);
    if ((uint32_t)crc != crc_stored) {
        errbuf_set(err, "chunk %s has a bad CRC (stored %08x, computed %08x): corrupt file",
                   chunk->type, crc_stored, (uint32_t)crc);
        return -1;
    }
    *in = at;
    return 0;
}

struct png_header {
    uint32_t width, height;
    size_t bytes_per_pixel; /* 3 for RGB, 4 for RGBA */
};

/* Section 11.2.2. Only what Chromium writes is accepted, and the message
 * names what was found instead. */
static int png_parse_ihdr(const struct png_chunk *chunk, struct png_header *hdr, struct errbuf *err)
{
    if (strcmp(chunk->type, "IHDR") != 0 || chunk->len != 13) {
        errbuf_set(err, "the first chunk is %s of %u bytes, not IHDR of 13", chunk->type,
                   chunk->len);
        return -1;
    }
    const uint8_t *d = chunk->data;
    uint32_t width = png_be32(d), height = png_be32(d + 4);
    uint8_t depth = d[8], colour = d[9], compression = d[10], filter = d[11], interlace = d[12];
    if (width == 0 || height == 0) {
        errbuf_set(err, "the image is %ux%u: empty", width, height);
        return -1;
    }
    if (width > PNG_MAX_WIDTH || height > PNG_MAX_HEIGHT ||
        (uint64_t)width * height > PNG_MAX_PIXELS) {
        errbuf_set(err, "the image is %ux%u: larger than this reader accepts (%ux%u, %u pixels)",
                   width, height, PNG_MAX_WIDTH, PNG_MAX_HEIGHT, PNG_MAX_PIXELS);
        return -1;
    }
    if (colour != 2 && colour != 6) {
        static const char *const names[] = {
            "greyscale", "?", "RGB", "palette", "greyscale with alpha", "?", "RGBA"};
        errbuf_set(
            err, "colour type %u (%s) is not supported: only 8-bit RGB or RGBA, as Chromium writes",
            colour, colour < 7 ? names[colour] : "undefined");
        return -1;
    }
    if (depth != 8) {
        errbuf_set(err, "bit depth %u is not supported: only 8-bit RGB or RGBA, as Chromium writes",
                   depth);
        return -1;
    }
    if (compression != 0 || filter != 0) {
        errbuf_set(err, "compression method %u / filter method %u are undefined (only 0)",
                   compression, filter);
        return -1;
    }
    if (interlace != 0) {
        errbuf_set(
            err,
            "interlace method %u (%s) is not supported: only non-interlaced, as Chromium writes",
            interlace, interlace == 1 ? "Adam7" : "undefined");
        return -1;
    }
    hdr->width = width;
    hdr->height = height;
    hdr->bytes_per_pixel = colour == 6 ? 4 : 3;
    return 0;
}

/* Walks every chunk after the signature: IHDR first, IDAT chunks next to each
 * other (section 5.6), IEND last with nothing after it. Copies the IDAT
 * contents into `idat` (room for `cap` bytes: the file's length bounds them). */
static int png_read_chunks(struct png_cursor *in, struct png_header *hdr, uint8_t *idat, size_t cap,
                           size_t *idat_len, struct errbuf *err)
{
    struct png_chunk chunk;
    enum { BEFORE_IDAT, IN_IDAT, AFTER_IDAT } idat_state = BEFORE_IDAT;
    if (png_read_chunk(in, &chunk, err) != 0 || png_parse_ihdr(&chunk, hdr, err) != 0)
        return -1;
    *idat_len = 0;
    for (;;) {
        if (in->left == 0) {
            errbuf_set(err, "the file ends before the IEND chunk (truncated?)");
            return -1;
        }
        if (png_read_chunk(in, &chunk, err) != 0)
            return -1;
        if (strcmp(chunk.type, "IEND") == 0)
            break;
        if (strcmp(chunk.type, "IDAT") == 0) {
            if (idat_state == AFTER_IDAT) {
                errbuf_set(err, "IDAT chunks are not consecutive: corrupt file");
                return -1;
            }
            idat_state = IN_IDAT;
            if (chunk.len > cap - *idat_len) { /* cannot happen: they come from the file */
                errbuf_set(err, "more image data than the file holds");
                return -1;
            }
            memcpy(idat + *idat_len, chunk.data, chunk.len);
            *idat_len += chunk.len;
            continue;
        }
        if (idat_state == IN_IDAT)
            idat_state = AFTER_IDAT;
        if (strcmp(chunk.type, "IHDR") == 0) {
            errbuf_set(err, "a second IHDR chunk: corrupt file");
            return -1;
        }
        /* Ancillary chunks (lower-case first letter: gAMA, tEXt, ...) and a
         * suggested palette may be ignored; an unknown critical chunk may not. */
        bool is_ancillary = (chunk.type[0] & 0x20) != 0;
        if (!is_ancillary && strcmp(chunk.type, "PLTE") != 0) {
            errbuf_set(err, "unknown critical chunk %s: cannot decode", chunk.type);
            return -1;
        }
    }
    if (chunk.len != 0 || in->left != 0) {
        errbuf_set(err, "%zu bytes after the IEND chunk: corrupt file", in->left + chunk.len);
        return -1;
    }
    if (idat_state == BEFORE_IDAT) {
        errbuf_set(err, "no IDAT chunk: the file holds no image data");
        return -1;
    }
    return 0;
}

/* Inflates exactly `want` bytes of filtered scanlines (section 10). The output
 * buffer has one spare byte so that a stream longer than the header says is
 * seen as such rather than silently cut. */
static int png_inflate(const uint8_t *idat, size_t idat_len, uint8_t *raw, size_t want,
                       struct errbuf *err)
{
    int rc = -1;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK) {
        errbuf_set(err, "zlib: inflateInit failed: %s", zs.msg != NULL ? zs.msg : "no memory");
        return -1;
    }
    /* Both sizes are below 4 GiB: the file and the pixel count are capped. */
    zs.next_in = (Bytef *)(uintptr_t)idat;
    zs.avail_in = (uInt)idat_len;
    zs.next_out = raw;
    zs.avail_out = (uInt)(want + 1);
    int z;
    do {
        z = inflate(&zs, Z_NO_FLUSH);
    } while (z == Z_OK);
    switch (z) {
    case Z_STREAM_END:
        if (zs.total_out != want) {
            errbuf_set(err, "the image data is %lu bytes, the header needs %zu: corrupt file",
                       zs.total_out, want);
            goto out;
        }
        if (zs.avail_in != 0) {
            errbuf_set(err, "%u bytes after the end of the compressed image data: corrupt file",
                       zs.avail_in);
            goto out;
        }
        break;
    case Z_BUF_ERROR:
        if (zs.avail_out == 0)
            errbuf_set(err, "the image data is longer than the header's %zu bytes: corrupt file",
                       want);
        else
            errbuf_set(err, "the compressed image data ends early (%lu of %zu bytes; truncated?)",
                       zs.total_out, want);
        goto out;
    case Z_NEED_DICT:
        errbuf_set(err, "the compressed image data asks for a preset dictionary: corrupt file");
        goto out;
    default:
        errbuf_set(err, "the compressed image data is corrupt (zlib: %s)",
                   zs.msg != NULL ? zs.msg : "error");
        goto out;
    }
    rc = 0;
out:
    inflateEnd(&zs);
    return rc;
}

/* Section 9.4: the Paeth predictor picks whichever neighbour is closest to
 * left + up - upper-left. */
static uint8_t png_paeth(uint8_t a, uint8_t b, uint8_t c)
{
    int p = (int)a + b - c;
    int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    if (pa <= pb && pa <= pc)
        return a;
    return pb <= pc ? b : c;
}

/* Undoes each scanline's filter in place (section 9.2): every byte is
 * reconstructed from the byte one pixel to the left (a), the byte above in
 * the already reconstructed previous line (b), and the one above-left (c),
 * all zero outside the image. */
static int png_unfilter(uint8_t *raw, const struct png_header *hdr, struct errbuf *err)
{
    size_t bpp = hdr->bytes_per_pixel;
    size_t row_bytes = (size_t)hdr->width * bpp;
    const uint8_t *prev = NULL;
    for (uint32_t y = 0; y < hdr->height; y++) {
        uint8_t *line = raw + (size_t)y * (row_bytes + 1);
        uint8_t filter = line[0];
        line++;
        if (filter > 4) {
            errbuf_set(err, "row %u has filter type %u (only 0-4 exist): corrupt file", y, filter);
            return -1;
        }
        for (size_t i = 0; i < row_bytes; i++) {
            uint8_t a = i >= bpp ? line[i - bpp] : 0;
            uint8_t b = prev != NULL ? prev[i] : 0;
            uint8_t c = prev != NULL && i >= bpp ? prev[i - bpp] : 0;
            uint8_t predicted = 0;
            switch (filter) {
            case 1:
                predicted = a;
                break;
            case 2:
                predicted = b;
                break;
            case 3:
                predicted = (uint8_t)(((unsigned)a + b) / 2);
                break;
            case 4:
                predicted = png_paeth(a, b, c);
                break;
            default:
                break;
            }
            line[i] = (uint8_t)(line[i] + predicted);
        }
        prev = line;
    }
    return 0;
}

int png_decode(const uint8_t *data, size_t len, struct png_image *out, struct errbuf *err)
{
    int rc = -1;
    struct png_cursor in = {data, len};
    struct png_header hdr = {0};
    const uint8_t *signature;
    uint8_t *idat = NULL, *raw = NULL;
    size_t idat_len = 0, raw_len = 0;
    memset(out, 0, sizeof *out);
    if (png_read_bytes(&in, sizeof png_signature, &signature) != 0 ||
        memcmp(signature, png_signature, sizeof png_signature) != 0) {
        errbuf_set(err, "not a PNG file (no PNG signature in the first 8 bytes)");
        goto out;
    }
    if (len > PNG_MAX_FILE_BYTES) {
        errbuf_set(err, "the file is %zu bytes, more than this reader accepts (%zu)", len,
                   PNG_MAX_FILE_BYTES);
        goto out;
    }
    idat = malloc(len);
    if (idat == NULL) {
        errbuf_set(err, "out of memory for %zu bytes of image data", len);
        goto out;
    }
    if (png_read_chunks(&in, &hdr, idat, len, &idat_len, err) != 0)
        goto out;
    /* Each scanline is one filter-type byte and the row's pixels. */
    raw_len = (size_t)hdr.height * (1 + (size_t)hdr.width * hdr.bytes_per_pixel);
    raw = malloc(raw_len + 1);
    out->rgba = malloc((size_t)hdr.width * hdr.height * 4);
    if (raw == NULL || out->rgba == NULL) {
        errbuf_set(err, "out of memory for a %ux%u image", hdr.width, hdr.height);
        goto out;
    }
    if (png_inflate(idat, idat_len, raw, raw_len, err) != 0 || png_unfilter(raw, &hdr, err) != 0)
        goto out;
    for (uint32_t y = 0; y < hdr.height; y++) {
        const uint8_t *line = raw + (size_t)y * (1 + (size_t)hdr.width * hdr.bytes_per_pixel) + 1;
        uint8_t *dst = out->rgba + (size_t)y * hdr.width * 4;
        for (uint32_t x = 0; x < hdr.width; x++, line += hdr.bytes_per_pixel, dst += 4) {
            dst[0] = line[0];
            dst[1] = line[1];
            dst[2] = line[2];
            dst[3] = hdr.bytes_per_pixel == 4 ? line[3] : 255;
        }
    }
    out->width = hdr.width;
    out->height = hdr.height;
    rc = 0;
out:
    free(idat);
    free(raw);
    if (rc != 0)
        png_image_free(out);
    return rc;
}

int png_read_file(const char *path, struct png_image *out, struct errbuf *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    if (file_read_all(path, PNG_MAX_FILE_BYTES, &data, &len, err) != 0)
        return -1;
    int rc = png_decode(data, len, out, err);
    if (rc != 0)
        errbuf_prefix(err, "%s", path);
    free(data);
    return rc;
}

void png_image_free(struct png_image *image)
{
    if (image == NULL)
        return;
    free(image->rgba);
    memset(image, 0, sizeof *image);
}
