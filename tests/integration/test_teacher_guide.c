/* test_teacher_guide.c — docs/teacher-guide.md stays true to the lab. Every
 * lesson in scenarios/lessons/ (found on disk, so a new lesson without an
 * entry fails) and demo.lab has a heading in the guide with at least three
 * questions; every lesson stops on at least one question (a `pause` line);
 * and every event the guide tells students to look for (`--event NAME` or
 * `.event=="NAME"`) is one the programs really write: the vocabulary is read
 * from the C sources' trace_event("NAME", ...) calls, so renaming an event
 * without updating the guide fails here. */
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define GUIDE_PATH LAB_SOURCE_DIR "/docs/teacher-guide.md"
#define LESSONS_DIR LAB_SOURCE_DIR "/scenarios/lessons"
#define MAX_LESSONS 64
#define MAX_NAME 128
#define MAX_EVENTS 512
/* The guide asks 3 to 5 questions per lesson, each starting "**Q1.**"… */
#define MIN_QUESTIONS 3

static int compare_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The lesson file names (not paths) in scenarios/lessons/, sorted, then
 * "demo.lab" (the demo lives one folder up). Returns how many. */
static size_t lesson_names(char names[][MAX_NAME])
{
    DIR *d = opendir(LESSONS_DIR);
    ck_assert_msg(d != NULL, "cannot open %s", LESSONS_DIR);
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= 4 || strcmp(e->d_name + len - 4, ".lab") != 0)
            continue;
        ck_assert_msg(count < MAX_LESSONS - 1 && len < MAX_NAME, "too many lessons");
        snprintf(names[count++], MAX_NAME, "%s", e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof names[0], compare_names);
    ck_assert_msg(count >= 8, "only %zu lessons in %s", count, LESSONS_DIR);
    snprintf(names[count++], MAX_NAME, "demo.lab");
    return count;
}

static char *read_guide(void)
{
    char *guide = test_read_text(GUIDE_PATH);
    ck_assert_msg(guide != NULL, "cannot read %s", GUIDE_PATH);
    return guide;
}

/* The start of the Markdown heading line that names `name` (a line starting
 * with '#', outside code blocks), or NULL. */
static const char *heading_naming(const char *text, const char *name)
{
    bool in_code = false;
    for (const char *line = text; line != NULL && *line != 0;) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "```", 3) == 0)
            in_code = !in_code;
        else if (!in_code && line[0] == '#') {
            const char *hit = strstr(line, name);
            if (hit != NULL && hit + strlen(name) <= line + len)
                return line;
        }
        line = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

/* How many questions ("**Q1.**", "**Q2.**", …) stand between `heading` and
 * the next heading. */
static int questions_in_section(const char *heading)
{
    int count = 0;
    const char *line = strchr(heading, '\n');
    bool in_code = false;
    while (line != NULL && *++line != 0) {
        if (strncmp(line, "```", 3) == 0)
            in_code = !in_code;
        else if (!in_code && line[0] == '#')
            break;
        else if (!in_code && strncmp(line, "**Q", 3) == 0 && isdigit((unsigned char)line[3]))
            count++; /* "**Q1.**", not "**Questions.**" */
        line = strchr(line, '\n');
    }
    return count;
}

START_TEST(test_guide_has_an_entry_for_every_lesson)
{
    char names[MAX_LESSONS][MAX_NAME];
    size_t count = lesson_names(names);
    char *guide = read_guide();
    for (size_t i = 0; i < count; i++) {
        const char *heading = heading_naming(guide, names[i]);
        ck_assert_msg(heading != NULL,
                      "docs/teacher-guide.md has no heading naming %s: add its entry "
                      "(objective, what to say, what to point at, questions with commands)",
                      names[i]);
        int questions = questions_in_section(heading);
        ck_assert_msg(
            questions >= MIN_QUESTIONS,
            "the guide's entry for %s has %d questions (\"**Q1.**\"…), at least %d wanted",
            names[i], questions, MIN_QUESTIONS);
    }
    free(guide);
}
END_TEST

/* True when some line of `text`, after blanks, is a `pause` step. */
static bool has_pause_line(const char *text)
{
    for (const char *line = text; line != NULL && *line != 0;) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (strncmp(line, "pause", 5) == 0 && (line[5] == ' ' || line[5] == '\t' ||
                                               line[5] == '\n' || line[5] == '\r' || line[5] == 0))
            return true;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return false;
}

START_TEST(test_every_lesson_stops_on_a_question)
{
    char names[MAX_LESSONS][MAX_NAME];
    size_t count = lesson_names(names);
    for (size_t i = 0; i < count; i++) {
        char path[512];
        if (strcmp(names[i], "demo.lab") == 0)
            snprintf(path, sizeof path, "%s/scenarios/demo.lab", LAB_SOURCE_DIR);
        else
            snprintf(path, sizeof path, "%s/%s", LESSONS_DIR, names[i]);
        char *text = test_read_text(path);
        ck_assert_msg(text != NULL, "cannot read %s", path);
        ck_assert_msg(has_pause_line(text),
                      "%s has no `pause` line: add a question for the class to stop on", path);
        free(text);
    }
}
END_TEST

struct vocabulary {
    char names[MAX_EVENTS][MAX_NAME];
    size_t count;
};

static bool is_event_char(char c)
{
    return islower((unsigned char)c) || isdigit((unsigned char)c) || c == '.' || c == '_';
}

static void vocabulary_add(struct vocabulary *v, const char *name, size_t len)
{
    for (size_t i = 0; i < v->count; i++)
        if (strlen(v->names[i]) == len && strncmp(v->names[i], name, len) == 0)
            return;
    ck_assert_msg(v->count < MAX_EVENTS && len < MAX_NAME, "too many event names");
    memcpy(v->names[v->count], name, len);
    v->names[v->count++][len] = 0;
}

/* Every trace_event("NAME", ...) in one C file: the name is the first
 * argument, a string literal (blanks and a line break may come first). */
static void vocabulary_scan_file(struct vocabulary *v, const char *path)
{
    static const char call[] = "trace_event(";
    char *text = test_read_text(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    for (const char *p = strstr(text, call); p != NULL; p = strstr(p, call)) {
        p += sizeof call - 1;
        const char *q = p;
        while (*q == ' ' || *q == '\t' || *q == '\n')
            q++;
        if (*q != '"')
            continue; /* the definition, or a name passed on */
        const char *start = ++q;
        while (is_event_char(*q))
            q++;
        if (*q == '"' && q > start)
            vocabulary_add(v, start, (size_t)(q - start));
    }
    free(text);
}

/* The lab's event vocabulary: every program folder and common/. */
static void vocabulary_load(struct vocabulary *v)
{
    static const char *const folders[] = {"common",    "ca",      "responder",
                                          "webserver", "browser", "scenarios"};
    v->count = 0;
    for (size_t f = 0; f < sizeof folders / sizeof folders[0]; f++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", LAB_SOURCE_DIR, folders[f]);
        DIR *d = opendir(dir);
        ck_assert_msg(d != NULL, "cannot open %s", dir);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len > 2 && strcmp(e->d_name + len - 2, ".c") == 0) {
                char path[1024];
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                vocabulary_scan_file(v, path);
            }
        }
        closedir(d);
    }
}

/* An exact name must be in the vocabulary; a glob ('ocsp.*') must match at
 * least one name in it. */
static bool vocabulary_knows(const struct vocabulary *v, const char *ref)
{
    bool is_glob = strpbrk(ref, "*?[") != NULL;
    for (size_t i = 0; i < v->count; i++)
        if (is_glob ? fnmatch(ref, v->names[i], 0) == 0 : strcmp(ref, v->names[i]) == 0)
            return true;
    return false;
}

/* Copies the event name or glob at p (up to a quote, a blank or the end of
 * the line) into out. */
static void take_ref(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    while (p[n] != 0 && p[n] != '"' && p[n] != '\'' && p[n] != ' ' && p[n] != '\n' && p[n] != '`' &&
           p[n] != ')' && n + 1 < cap)
        n++;
    memcpy(out, p, n);
    out[n] = 0;
}

/* Checks every `--event NAME` and `.event=="NAME"` in the guide against the
 * vocabulary; returns how many it checked. */
static int check_guide_events(const struct vocabulary *v, const char *guide)
{
    int checked = 0;
    for (const char *p = guide; *p != 0; p++) {
        const char *ref = NULL;
        if (strncmp(p, "--event", 7) == 0) {
            ref = p + 7;
            while (*ref == ' ' || *ref == '=')
                ref++;
        } else if (strncmp(p, ".event", 6) == 0) {
            ref = p + 6;
            while (*ref == ' ')
                ref++;
            if (strncmp(ref, "==", 2) != 0)
                continue;
            ref += 2;
            while (*ref == ' ')
                ref++;
        } else {
            continue;
        }
        if (*ref == '\'' || *ref == '"')
            ref++;
        char name[MAX_NAME];
        take_ref(ref, name, sizeof name);
        if (name[0] == 0 || strcmp(name, "GLOB") == 0)
            continue; /* "--event GLOB" in a syntax line, not a name */
        ck_assert_msg(vocabulary_knows(v, name),
                      "docs/teacher-guide.md names the event '%s', which no program writes "
                      "(no trace_event(\"%s\", ...) in the sources): was it renamed?",
                      name, name);
        checked++;
    }
    return checked;
}

START_TEST(test_guide_names_only_real_events)
{
    struct vocabulary *v = calloc(1, sizeof *v);
    ck_assert_ptr_nonnull(v);
    vocabulary_load(v);
    /* The scan itself must work: these are the lab's core events. */
    ck_assert_msg(v->count >= 30, "only %zu event names found in the sources", v->count);
    ck_assert(vocabulary_knows(v, "browser.verdict"));
    ck_assert(vocabulary_knows(v, "ocsp.response.sent"));
    ck_assert(vocabulary_knows(v, "staple.*"));
    ck_assert(!vocabulary_knows(v, "browser.verdicts"));
    ck_assert(!vocabulary_knows(v, "nothing.*"));

    char *guide = read_guide();
    int checked = check_guide_events(v, guide);
    /* The guide's answers rely on the trace; it must name events to check. */
    ck_assert_msg(checked >= 20, "the guide names only %d events to look for", checked);
    free(guide);
    free(v);
}
END_TEST

Suite *teacher_guide_suite(void)
{
    Suite *s = suite_create("teacher_guide");
    TCase *tc = tcase_create("guide");
    tcase_add_test(tc, test_guide_has_an_entry_for_every_lesson);
    tcase_add_test(tc, test_every_lesson_stops_on_a_question);
    tcase_add_test(tc, test_guide_names_only_real_events);
    suite_add_tcase(s, tc);
    return s;
}
