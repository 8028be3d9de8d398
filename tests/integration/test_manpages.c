/* test_manpages.c — the manual pages in man/ stay true: every long option a
 * program's --help names is in its section 1 page and every one the page
 * names is in --help (--help and --version, which every program takes through
 * common/cli, may be missing from a usage text), and every page, the
 * scenario language's section 5 page too, renders without a warning
 * (groff -ww, as `man -l` would format it) and names the lab's version. */
#include <check.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "testutil.h"

#define MAN_DIR LAB_SOURCE_DIR "/man"
#define RUN_TIMEOUT_MS 20000
#define MAX_OPTIONS 64

static const char *const programs[] = {"ca", "responder", "webserver", "browser", "scenario"};

struct option_set {
    size_t count;
    char names[MAX_OPTIONS][40];
};

static bool has_option(const struct option_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->names[i], name) == 0)
            return true;
    return false;
}

/* Every "--word" in text, once each. In a page's source "\-" is a hyphen,
 * and lines starting with .\" are comments. */
static void collect_options(const char *text, struct option_set *set)
{
    set->count = 0;
    const char *line = text;
    while (line != NULL && *line != 0) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, ".\\\"", 3) != 0) {
            char plain[1024];
            size_t n = 0;
            for (size_t i = 0; i < len && n < sizeof plain - 1; i++) {
                if (line[i] == '\\' && i + 1 < len && line[i + 1] == '-')
                    continue; /* "\-" -> "-" */
                plain[n++] = line[i];
            }
            plain[n] = 0;
            for (const char *p = plain; (p = strstr(p, "--")) != NULL;) {
                bool starts_word = p == plain || (!isalnum((unsigned char)p[-1]) && p[-1] != '-');
                size_t word = 2;
                while (isalnum((unsigned char)p[word]) || p[word] == '-')
                    word++;
                if (starts_word && word > 2 && isalpha((unsigned char)p[2]) &&
                    word < sizeof set->names[0] && set->count < MAX_OPTIONS) {
                    char name[40];
                    snprintf(name, sizeof name, "%.*s", (int)word, p);
                    if (!has_option(set, name))
                        snprintf(set->names[set->count++], sizeof set->names[0], "%s", name);
                }
                p += word;
            }
        }
        line = end != NULL ? end + 1 : NULL;
    }
}

static char *read_page(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", MAN_DIR, name);
    char *text = test_read_text(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    return text;
}

START_TEST(test_page_matches_help)
{
    const char *program = programs[_i];
    char page_name[64];
    snprintf(page_name, sizeof page_name, "ocsplab-%s.1", program);
    struct test_run run = test_run_bin(RUN_TIMEOUT_MS, program, "--help", NULL);
    ck_assert_msg(run.exit_code == 0, "%s --help exited %d", program, run.exit_code);
    static struct option_set help, page;
    collect_options(run.out, &help);
    ck_assert_msg(help.count > 0, "%s --help names no option:\n%s", program, run.out);
    char *text = read_page(page_name);
    collect_options(text, &page);
    for (size_t i = 0; i < help.count; i++)
        ck_assert_msg(has_option(&page, help.names[i]), "%s --help has %s; man/%s does not",
                      program, help.names[i], page_name);
    for (size_t i = 0; i < page.count; i++) {
        const char *name = page.names[i];
        if (strcmp(name, "--help") == 0 || strcmp(name, "--version") == 0)
            continue;
        ck_assert_msg(has_option(&help, name),
                      "man/%s names %s, which '%s --help' does not (a stale or foreign option)",
                      page_name, name, program);
    }
    /* Both are in every page, as every program takes them. */
    ck_assert_msg(has_option(&page, "--help") && has_option(&page, "--version"),
                  "man/%s lacks --help or --version", page_name);
    free(text);
    test_run_free(&run);
}
END_TEST

static const char *const pages[] = {"ocsplab-ca.1",        "ocsplab-responder.1",
                                    "ocsplab-webserver.1", "ocsplab-browser.1",
                                    "ocsplab-scenario.1",  "ocsplab-scenario.5"};

/* groff -ww: every warning (bad macro, bad escape, a line too long to fill,
 * ...), as man -l formats the page; -z: the output itself is not wanted. */
START_TEST(test_page_renders_without_warnings)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", MAN_DIR, pages[_i]);
    const char *argv[] = {"groff", "-man", "-ww", "-z", "-Tutf8", path, NULL};
    struct test_run run;
    ck_assert_msg(test_run(&run, RUN_TIMEOUT_MS, NULL, argv) == 0,
                  "cannot run groff (scripts/install-deps.sh installs groff-base)");
    ck_assert_msg(run.exit_code == 0 && run.err[0] == 0, "groff on %s: exit %d\n%s", pages[_i],
                  run.exit_code, run.err);
    test_run_free(&run);

    /* Each page says what it is in its .TH line: name, section, and the
     * version the programs print (bumped together with cli.h). */
    char *text = read_page(pages[_i]), th[128], name[64];
    const char *dot = strrchr(pages[_i], '.');
    snprintf(name, sizeof name, "%.*s", (int)(dot - pages[_i]), pages[_i]);
    for (char *s = name; *s != 0; s++)
        *s = (char)toupper((unsigned char)*s);
    snprintf(th, sizeof th, "\n.TH %s %s ", name, dot + 1);
    const char *th_line = strstr(text, th);
    ck_assert_msg(th_line != NULL, "%s has no '%s' line", pages[_i], th + 1);
    char version[64];
    snprintf(version, sizeof version, "\"ocsplab %s\"", OCSPLAB_VERSION);
    const char *th_end = strchr(th_line + 1, '\n');
    const char *found = strstr(th_line, version);
    ck_assert_msg(found != NULL && (th_end == NULL || found < th_end),
                  "the .TH line of %s does not name %s", pages[_i], version);
    free(text);
}
END_TEST

Suite *manpages_suite(void)
{
    Suite *s = suite_create("manpages");
    TCase *help = tcase_create("help");
    tcase_add_loop_test(help, test_page_matches_help, 0,
                        (int)(sizeof programs / sizeof programs[0]));
    suite_add_tcase(s, help);
    TCase *render = tcase_create("render");
    tcase_add_loop_test(render, test_page_renders_without_warnings, 0,
                        (int)(sizeof pages / sizeof pages[0]));
    suite_add_tcase(s, render);
    return s;
}
