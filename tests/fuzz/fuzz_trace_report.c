/* fuzz_trace_report.c — libFuzzer target for the readers that show a lab's
 * trace (DESIGN section 5) to people: the input is LAB/trace.jsonl, which
 * any process in the lab may have written, made into the HTML report
 * (viewer/report.h) and drawn as the terminal ladder (viewer/ladder.h).
 * The report must succeed or fail with a message; a page it writes must be
 * one self-contained document in which no trace text became markup; the
 * ladder must read the same events and print nothing a terminal would take
 * for a command. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../viewer/ladder.h"
#include "../../viewer/report.h"

#include "fuzz_check.h"

/* A lesson's trace is a few hundred KB; a bounded slice of one is enough to
 * reach every reader, and keeps each run to milliseconds. */
#define FUZZ_MAX_INPUT (64 * 1024)
/* A fixed "made at" time: the page depends on the input alone. */
#define FUZZ_GENERATED_MS 1764072000000LL

/* The private lab, made once per process under $TMPDIR. */
static char lab_dir[1024], trace_path[1100], report_path[1100];

static void remove_lab(void)
{
    unlink(trace_path);
    unlink(report_path);
    rmdir(lab_dir);
}

static void make_lab(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(lab_dir, sizeof lab_dir, "%s/fuzz_trace_report.XXXXXX",
             tmp != NULL && tmp[0] != 0 ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(lab_dir) != NULL);
    snprintf(trace_path, sizeof trace_path, "%s/trace.jsonl", lab_dir);
    snprintf(report_path, sizeof report_path, "%s/report.html", lab_dir);
    atexit(remove_lab);
}

static void write_trace(const uint8_t *data, size_t size)
{
    int fd = open(trace_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0);
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        FUZZ_CHECK(n > 0);
        done += (size_t)n;
    }
    FUZZ_CHECK(close(fd) == 0);
}

/* The whole file, NUL-terminated; *len its size. */
static char *read_page(size_t *len)
{
    FILE *f = fopen(report_path, "rb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fseek(f, 0, SEEK_END) == 0);
    long size = ftell(f);
    FUZZ_CHECK(size > 0 && (unsigned long)size <= SCN_REPORT_MAX_BYTES);
    rewind(f);
    char *page = malloc((size_t)size + 1);
    FUZZ_CHECK(page != NULL);
    FUZZ_CHECK(fread(page, 1, (size_t)size, f) == (size_t)size);
    FUZZ_CHECK(fclose(f) == 0);
    page[size] = 0;
    *len = (size_t)size;
    return page;
}

static bool has_bytes(const uint8_t *data, size_t size, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, needle, n) == 0)
            return true;
    return false;
}

static size_t count_of(const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle))
        count++;
    return count;
}

static bool starts_with_nocase(const char *text, const char *prefix)
{
    for (; *prefix != 0; text++, prefix++) {
        char c = *text >= 'A' && *text <= 'Z' ? (char)(*text - 'A' + 'a') : *text;
        if (c != *prefix)
            return false;
    }
    return true;
}

/* Length of the well-formed UTF-8 character at p (RFC 3629), or 0. Written
 * here again on purpose, not taken from htmlbuf.c: the oracle must not share
 * the code it checks. */
static size_t utf8_length(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (p[0] >= 0xe0 && p[0] <= 0xef) {
        unsigned char lo = p[0] == 0xe0 ? 0xa0 : 0x80, hi = p[0] == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        unsigned char lo = p[0] == 0xf0 ? 0x90 : 0x80, hi = p[0] == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/* The elements the report writes (report*.c); anything else would be trace
 * text that became markup. */
static bool is_report_element(const char *name, size_t len)
{
    static const char *const names[] = {
        "html", "head",  "meta",  "title",   "style",  "body",     "section", "h1",    "h2",
        "h3",   "p",     "ul",    "li",      "a",      "em",       "strong",  "code",  "span",
        "div",  "table", "thead", "tbody",   "tr",     "th",       "td",      "svg",   "g",
        "rect", "line",  "text",  "polygon", "circle", "polyline", "main",    "input", "label"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return true;
    return false;
}

/* One tag at p (just after its '<'): a known element, attributes as
 * name="value" with no event handler, no external reference, and no
 * '<' inside. Returns the byte after its '>'. */
static const char *check_tag(const char *p)
{
    bool is_end = *p == '/';
    p += is_end;
    const char *name = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
        p++;
    FUZZ_CHECK(is_report_element(name, (size_t)(p - name)));
    for (;;) {
        while (*p == ' ')
            p++;
        if (*p == '>')
            return p + 1;
        if (p[0] == '/' && p[1] == '>' && !is_end)
            return p + 2;
        FUZZ_CHECK(!is_end);
        const char *attr = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               *p == '-' || *p == ':')
            p++;
        FUZZ_CHECK(p > attr && !starts_with_nocase(attr, "on") &&
                   !starts_with_nocase(attr, "src") && !starts_with_nocase(attr, "xlink"));
        FUZZ_CHECK(p[0] == '=' && p[1] == '"');
        const char *value = p + 2;
        const char *close = strchr(value, '"');
        FUZZ_CHECK(close != NULL && memchr(value, '<', (size_t)(close - value)) == NULL);
        /* Links stay on the page. */
        if (p - attr == 4 && memcmp(attr, "href", 4) == 0)
            FUZZ_CHECK(value[0] == '#');
        p = close + 1;
    }
}

/* The page: one document, every tag one the report writes, text escaped
 * (outside tags and the style sheet, no raw '>' or '='), valid UTF-8 with
 * no control character but newline and tab, <svg> and <section> balanced. */
static void check_page(const char *page, size_t len, const uint8_t *data, size_t size)
{
    static const char doctype[] = "<!DOCTYPE html>\n";
    FUZZ_CHECK(strlen(page) == len);
    FUZZ_CHECK(strncmp(page, doctype, strlen(doctype)) == 0);
    FUZZ_CHECK(len >= 8 && strcmp(page + len - 8, "</html>\n") == 0);
    FUZZ_CHECK(count_of(page, "<script") == 0 && count_of(page, "<SCRIPT") == 0);
    if (has_bytes(data, size, "<x-fuzz"))
        FUZZ_CHECK(strstr(page, "<x-fuzz") == NULL);

    long sections = 0;
    bool is_in_svg = false;
    for (const unsigned char *p = (const unsigned char *)page + strlen(doctype); *p != 0;) {
        size_t n = utf8_length(p);
        FUZZ_CHECK(n > 0);
        FUZZ_CHECK(*p >= 0x20 || *p == '\n' || *p == '\t');
        FUZZ_CHECK(*p != 0x7f && *p != '>' && *p != '=');
        if (*p != '<') {
            p += n;
            continue;
        }
        const char *tag = (const char *)p + 1;
        if (strncmp(tag, "section", 7) == 0)
            sections++;
        else if (strncmp(tag, "/section>", 9) == 0)
            FUZZ_CHECK(--sections >= 0);
        else if (strncmp(tag, "svg", 3) == 0) {
            FUZZ_CHECK(!is_in_svg); /* every <svg> closed before the next */
            is_in_svg = true;
        } else if (strncmp(tag, "/svg>", 5) == 0) {
            FUZZ_CHECK(is_in_svg);
            is_in_svg = false;
        }
        const char *after = check_tag(tag);
        if (strncmp(tag, "style>", 6) == 0) {
            /* The report's own style sheet: CSS, not text. */
            const char *end = strstr(after, "</style>");
            FUZZ_CHECK(end != NULL && memchr(after, '<', (size_t)(end - after)) == NULL);
            after = end;
        }
        p = (const unsigned char *)after;
    }
    FUZZ_CHECK(sections == 0 && !is_in_svg);
    FUZZ_CHECK(count_of(page, "<svg") == count_of(page, "</svg>"));
    FUZZ_CHECK(count_of(page, "<section") == count_of(page, "</section>"));
}

/* What went to a terminal: no control character but newline, and ESC only
 * in the ladder's own colours (ESC [ digits ; m); each line at most
 * SCN_LADDER_WIDTH columns (one per character, as ui.c counts them). */
static void check_terminal(const char *text, size_t len, int max_columns)
{
    int columns = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            columns = 0;
            continue;
        }
        if (c == 0x1b) {
            FUZZ_CHECK(i + 1 < len && text[i + 1] == '[');
            for (i += 2; i < len && ((text[i] >= '0' && text[i] <= '9') || text[i] == ';'); i++)
                ;
            FUZZ_CHECK(i < len && text[i] == 'm');
            continue;
        }
        FUZZ_CHECK(c >= 0x20 && c != 0x7f);
        /* C1 controls (U+0080..U+009F) start escape sequences on some terminals. */
        FUZZ_CHECK(!(c == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] <= 0x9f));
        columns += (c & 0xc0) != 0x80;
        if (max_columns > 0)
            FUZZ_CHECK(columns <= max_columns);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    if (lab_dir[0] == 0)
        make_lab();
    write_trace(data, size);
    unlink(report_path);

    /* The report, as `scenario report --lab LAB` makes it. */
    const char *dirs[1] = {lab_dir};
    const char *names[1] = {"fuzz"};
    struct scn_report_input in = {.dirs = dirs,
                                  .names = names,
                                  .count = 1,
                                  .source = lab_dir,
                                  .generated_ms = FUZZ_GENERATED_MS};
    struct scn_report_result result;
    struct errbuf err = {{0}};
    char *report_errs = NULL;
    size_t report_errs_len = 0;
    FILE *errs = open_memstream(&report_errs, &report_errs_len);
    FUZZ_CHECK(errs != NULL);
    int rc = scn_report_write(&in, report_path, errs, &result, &err);
    FUZZ_CHECK(fclose(errs) == 0);
    check_terminal(report_errs, report_errs_len, 0);
    free(report_errs);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(memchr(err.msg, 0, sizeof err.msg) != NULL);
    if (rc != 0) {
        FUZZ_CHECK(err.msg[0] != 0);
        return 0;
    }
    FUZZ_CHECK(result.labs == 1 && result.events >= 0 && result.skipped >= 0);
    size_t len;
    char *page = read_page(&len);
    FUZZ_CHECK(result.bytes == len);
    check_page(page, len, data, size);
    free(page);

    /* The terminal ladder, as `scenario trace --lab LAB` draws it; colour
     * or not by a bit of the input, so both paths are fuzzed. */
    struct scn_ladder_options opt = {.has_color = size > 0 && (data[0] & 1) != 0};
    struct scn_ladder_stats stats;
    char *drawn = NULL;
    size_t drawn_len = 0;
    FILE *out = open_memstream(&drawn, &drawn_len);
    FUZZ_CHECK(out != NULL);
    int fd = open(trace_path, O_RDONLY | O_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    char *ladder_errs = NULL;
    size_t ladder_errs_len = 0;
    errs = open_memstream(&ladder_errs, &ladder_errs_len);
    FUZZ_CHECK(errs != NULL);
    FUZZ_CHECK(scn_ladder_draw(fd, "trace.jsonl", out, errs, &opt, &stats) == 0);
    FUZZ_CHECK(close(fd) == 0);
    FUZZ_CHECK(fclose(out) == 0 && fclose(errs) == 0);
    check_terminal(drawn, drawn_len, SCN_LADDER_WIDTH);
    check_terminal(ladder_errs, ladder_errs_len, 0);
    free(drawn);
    free(ladder_errs);
    /* Both read the trace through common/trace_read.h: the same events, the same
     * bad lines; collapsing only ever joins rows. */
    FUZZ_CHECK(stats.lines == stats.events + stats.skipped);
    FUZZ_CHECK(stats.events == result.events && stats.skipped == result.skipped);
    FUZZ_CHECK(stats.rows <= stats.events);
    return 0;
}
