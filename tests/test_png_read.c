/* test_png_read.c — the tests' PNG reader against PNGs that python3's zlib
 * writes at test time: known pixels through all five filters in RGB and RGBA,
 * one row per reject reason (each a well-formed file with valid CRCs, so the
 * check that names the reason is the one that fires), and a good file cut at
 * every length and damaged at every byte (an error, never a crash). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "integration/png_read.h"
#include "testutil.h"

/* Writes every PNG of this file into the directory argv[1]. The pixel formula
 * is test_expected_pixel below; row y uses filter y % 5, so every filter is
 * undone at least once with and without a row above it. */
static const char png_maker_py[] =
    "import struct, sys, zlib\n"
    "out = sys.argv[1]\n"
    "def chunk(kind, data):\n"
    "    return (struct.pack('>I', len(data)) + kind + data +\n"
    "            struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))\n"
    "def pixel(x, y, channels):\n"
    "    v = ((x * 7 + y * 3) & 255, (x * y) & 255, (255 - x * 5) & 255, (x + y * 11) & 255)\n"
    "    return v[:channels]\n"
    "def paeth(a, b, c):\n"
    "    p = a + b - c\n"
    "    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)\n"
    "    if pa <= pb and pa <= pc: return a\n"
    "    return b if pb <= pc else c\n"
    "def scanlines(w, h, channels, rows=None, first_filter=None):\n"
    "    data = bytearray()\n"
    "    prev = bytes(w * channels)\n"
    "    for y in range(h if rows is None else rows):\n"
    "        line = bytes(v for x in range(w) for v in pixel(x, y, channels))\n"
    "        f = y % 5\n"
    "        data.append(f if y > 0 or first_filter is None else first_filter)\n"
    "        for i in range(len(line)):\n"
    "            a = line[i - channels] if i >= channels else 0\n"
    "            b = prev[i]\n"
    "            c = prev[i - channels] if i >= channels else 0\n"
    "            pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[f]\n"
    "            data.append((line[i] - pred) & 255)\n"
    "        prev = line\n"
    "    return bytes(data)\n"
    "def ihdr(w, h, depth=8, colour=2, interlace=0):\n"
    "    return chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, colour, 0, 0, interlace))\n"
    "def idats(compressed, piece=97):\n"
    "    return b''.join(chunk(b'IDAT', compressed[i:i + piece])\n"
    "                    for i in range(0, len(compressed), piece))\n"
    "SIG = b'\\x89PNG\\r\\n\\x1a\\n'\n"
    "IEND = chunk(b'IEND', b'')\n"
    "TEXT = chunk(b'tEXt', b'Comment\\x00made by test_png_read')\n"
    "def write(name, body):\n"
    "    with open(out + '/' + name, 'wb') as f:\n"
    "        f.write(SIG + body)\n"
    "rgb = zlib.compress(scanlines(37, 23, 3), 9)\n"
    "write('rgb.png', ihdr(37, 23) + TEXT + idats(rgb) + IEND)\n"
    "write('rgba.png', ihdr(37, 23, colour=6) + idats(zlib.compress(scanlines(37, 23, 4))) + "
    "IEND)\n"
    "write('big.png', ihdr(640, 480) + chunk(b'PLTE', b'\\0\\0\\0') +\n"
    "      idats(zlib.compress(scanlines(640, 480, 3)), 8192) + IEND)\n"
    "write('one.png', ihdr(1, 1, colour=6) + idats(zlib.compress(scanlines(1, 1, 4))) + IEND)\n"
    "good = idats(rgb)\n"
    "write('palette.png', ihdr(37, 23, colour=3) + good + IEND)\n"
    "write('grey.png', ihdr(37, 23, colour=0) + good + IEND)\n"
    "write('depth16.png', ihdr(37, 23, depth=16) + good + IEND)\n"
    "write('interlaced.png', ihdr(37, 23, interlace=1) + good + IEND)\n"
    "write('wide.png', ihdr(100000, 1) + good + IEND)\n"
    "write('tall.png', ihdr(1, 40000) + good + IEND)\n"
    "write('many.png', ihdr(8192, 8193) + good + IEND)\n"
    "write('empty.png', ihdr(0, 23) + good + IEND)\n"
    "write('short.png', ihdr(37, 23) + idats(zlib.compress(scanlines(37, 23, 3, rows=22))) + "
    "IEND)\n"
    "write('long.png', ihdr(37, 23) + idats(zlib.compress(scanlines(37, 23, 3, rows=24))) + IEND)\n"
    "write('cut_stream.png', ihdr(37, 23) + idats(rgb[:len(rgb) // 2]) + IEND)\n"
    "write('after_stream.png', ihdr(37, 23) + idats(rgb + b'junk') + IEND)\n"
    "write('garbage.png', ihdr(37, 23) + chunk(b'IDAT', b'\\x78\\x9c' + bytes(range(7, 250))) + "
    "IEND)\n"
    "write('filter5.png', ihdr(37, 23) +\n"
    "      idats(zlib.compress(scanlines(37, 23, 3, first_filter=5))) + IEND)\n"
    "write('no_idat.png', ihdr(37, 23) + TEXT + IEND)\n"
    "write('critical.png', ihdr(37, 23) + chunk(b'XYZW', b'') + good + IEND)\n"
    "write('apart.png', ihdr(37, 23) + chunk(b'IDAT', rgb[:50]) + TEXT +\n"
    "      chunk(b'IDAT', rgb[50:]) + IEND)\n"
    "write('trailing.png', ihdr(37, 23) + good + IEND + b'more')\n"
    "write('ihdr_late.png', TEXT + ihdr(37, 23) + good + IEND)\n"
    "write('two_ihdr.png', ihdr(37, 23) + ihdr(37, 23) + good + IEND)\n"
    "write('no_iend.png', ihdr(37, 23) + good)\n"
    "write('bad_type.png', ihdr(37, 23) + chunk(b'ID1T', b'') + good + IEND)\n"
    "with open(out + '/not_png.png', 'wb') as f:\n"
    "    f.write(b'GIF89a not a png at all')\n";

/* ---- Fixture: a scratch directory with the PNGs -------------------------------------- */

static void scratch_setup(void)
{
    test_scratch_enter("png_read");
}

static void scratch_teardown(void)
{
    test_scratch_leave();
}

static void make_pngs(void)
{
    char script[4096];
    struct errbuf err = {{0}};
    struct test_run run;
    ck_assert_msg(test_scratch_dir()[0] != 0, "no scratch directory");
    ck_assert_int_eq(file_path_join(script, sizeof script, test_scratch_dir(), "make_pngs.py"), 0);
    ck_assert_msg(file_write_atomic(script, png_maker_py, strlen(png_maker_py), 0644, &err) == 0,
                  "%s", err.msg);
    const char *argv[] = {"python3", script, test_scratch_dir(), NULL};
    ck_assert_int_eq(test_run(&run, 30000, NULL, argv), 0);
    ck_assert_msg(run.exit_code != 127,
                  "python3 is missing (install with scripts/install-deps.sh): %s", run.err);
    ck_assert_msg(!run.timed_out && run.exit_code == 0, "python3 make_pngs.py: exit %d\n%s",
                  run.exit_code, run.err);
    test_run_free(&run);
}

static void png_path(const char *name, char *path, size_t cap)
{
    ck_assert_int_eq(file_path_join(path, cap, test_scratch_dir(), name), 0);
}

/* ---- Good files: every pixel as written ------------------------------------------------ */

static void test_expected_pixel(uint32_t x, uint32_t y, uint8_t rgba[4], bool has_alpha)
{
    rgba[0] = (uint8_t)((x * 7 + y * 3) & 255);
    rgba[1] = (uint8_t)((x * y) & 255);
    rgba[2] = (uint8_t)((255 - x * 5) & 255);
    rgba[3] = has_alpha ? (uint8_t)((x + y * 11) & 255) : 255;
}

static const struct good_row {
    const char *file;
    uint32_t width, height;
    bool has_alpha;
} good_rows[] = {
    {"rgb.png", 37, 23, false}, /* IDAT split in 97-byte chunks, a tEXt to skip */
    {"rgba.png", 37, 23, true},
    {"big.png", 640, 480, false}, /* a (suggested) PLTE to skip, 8 KiB IDAT chunks */
    {"one.png", 1, 1, true},
};

START_TEST(test_good)
{
    const struct good_row *row = &good_rows[_i];
    char path[4096];
    struct png_image image = {0};
    struct errbuf err = {{0}};
    make_pngs();
    png_path(row->file, path, sizeof path);
    ck_assert_msg(png_read_file(path, &image, &err) == 0, "%s: %s", row->file, err.msg);
    ck_assert_uint_eq(image.width, row->width);
    ck_assert_uint_eq(image.height, row->height);
    for (uint32_t y = 0; y < image.height; y++) {
        for (uint32_t x = 0; x < image.width; x++) {
            uint8_t want[4];
            const uint8_t *seen = png_pixel(&image, x, y);
            test_expected_pixel(x, y, want, row->has_alpha);
            ck_assert_msg(memcmp(seen, want, 4) == 0,
                          "%s (%u,%u): seen %u,%u,%u,%u, want %u,%u,%u,%u (filter %u)", row->file,
                          x, y, seen[0], seen[1], seen[2], seen[3], want[0], want[1], want[2],
                          want[3], y % 5);
        }
    }
    png_image_free(&image);
    ck_assert_ptr_null(image.rgba);
    png_image_free(&image); /* twice is fine, and so is NULL */
    png_image_free(NULL);
}
END_TEST

/* ---- One row per reject reason ------------------------------------------------------- */

static const struct reject_row {
    const char *file;
    const char *says;
} reject_rows[] = {
    {"palette.png", "colour type 3 (palette) is not supported"},
    {"grey.png", "colour type 0 (greyscale) is not supported"},
    {"depth16.png", "bit depth 16 is not supported"},
    {"interlaced.png", "interlace method 1 (Adam7) is not supported"},
    {"wide.png", "100000x1: larger than this reader accepts"},
    {"tall.png", "1x40000: larger than this reader accepts"},
    {"many.png", "8192x8193: larger than this reader accepts"},
    {"empty.png", "0x23: empty"},
    {"short.png", "the image data is 2464 bytes, the header needs 2576"},
    {"long.png", "longer than the header's 2576 bytes"},
    {"cut_stream.png", "the compressed image data ends early"},
    {"after_stream.png", "4 bytes after the end of the compressed image data"},
    {"garbage.png", "the compressed image data is corrupt (zlib:"},
    {"filter5.png", "row 0 has filter type 5"},
    {"no_idat.png", "no IDAT chunk"},
    {"critical.png", "unknown critical chunk XYZW"},
    {"apart.png", "IDAT chunks are not consecutive"},
    {"trailing.png", "4 bytes after the IEND chunk"},
    {"ihdr_late.png", "the first chunk is tEXt"},
    {"two_ihdr.png", "a second IHDR chunk"},
    {"no_iend.png", "the file ends before the IEND chunk"},
    {"bad_type.png", "a chunk type is not four letters (byte 0x31)"},
    {"not_png.png", "not a PNG file"},
    {"missing.png", "cannot read"},
};

START_TEST(test_reject)
{
    const struct reject_row *row = &reject_rows[_i];
    char path[4096];
    struct png_image image = {0};
    struct errbuf err = {{0}};
    make_pngs();
    png_path(row->file, path, sizeof path);
    ck_assert_msg(png_read_file(path, &image, &err) == -1, "%s was accepted", row->file);
    ck_assert_msg(strstr(err.msg, row->says) != NULL, "%s: '%s' does not say '%s'", row->file,
                  err.msg, row->says);
    ck_assert_msg(image.rgba == NULL && image.width == 0, "%s: a failed read left an image",
                  row->file);
}
END_TEST

/* ---- Truncated and damaged files --------------------------------------------------------- */

static void read_good_bytes(uint8_t **data, size_t *len)
{
    char path[4096];
    struct errbuf err = {{0}};
    make_pngs();
    png_path("rgb.png", path, sizeof path);
    ck_assert_msg(file_read_all(path, 1 << 20, data, len, &err) == 0, "%s", err.msg);
}

/* Each prefix goes into a heap block of exactly its length, so the sanitizer
 * build catches a read past the end. */
START_TEST(test_truncated)
{
    uint8_t *good = NULL;
    size_t len = 0;
    read_good_bytes(&good, &len);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *prefix = malloc(cut > 0 ? cut : 1);
        struct png_image image = {0};
        struct errbuf err = {{0}};
        ck_assert_ptr_nonnull(prefix);
        memcpy(prefix, good, cut);
        ck_assert_msg(png_decode(prefix, cut, &image, &err) == -1, "%zu of %zu bytes accepted", cut,
                      len);
        ck_assert_msg(err.msg[0] != 0, "%zu of %zu bytes: no message", cut, len);
        ck_assert_ptr_null(image.rgba);
        free(prefix);
    }
    free(good);
}
END_TEST

/* Any changed byte is caught: in the signature by the signature, in a chunk
 * by its CRC, in a length by the walk that follows it. */
START_TEST(test_damaged)
{
    uint8_t *good = NULL;
    size_t len = 0;
    read_good_bytes(&good, &len);
    uint8_t *copy = malloc(len);
    ck_assert_ptr_nonnull(copy);
    for (size_t at = 0; at < len; at++) {
        static const uint8_t flips[] = {0x01, 0x80, 0xff};
        for (size_t f = 0; f < sizeof flips; f++) {
            struct png_image image = {0};
            struct errbuf err = {{0}};
            memcpy(copy, good, len);
            copy[at] ^= flips[f];
            ck_assert_msg(png_decode(copy, len, &image, &err) == -1,
                          "byte %zu ^ 0x%02x of %zu accepted", at, flips[f], len);
            ck_assert_msg(err.msg[0] != 0, "byte %zu: no message", at);
        }
    }
    free(copy);
    free(good);
}
END_TEST

Suite *png_read_suite(void)
{
    Suite *s = suite_create("png_read");
    TCase *tc = tcase_create("png_read");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_loop_test(tc, test_good, 0, sizeof good_rows / sizeof good_rows[0]);
    tcase_add_loop_test(tc, test_reject, 0, sizeof reject_rows / sizeof reject_rows[0]);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_damaged);
    suite_add_tcase(s, tc);
    return s;
}
