/* cache.c — nginx as the lab's HTTP cache in front of a responder (cache.h):
 * its configuration from the template below, its clock, its start and stop,
 * and its access log counted. */
#include "cache.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"

/* The configuration nginx gets, with @DIR@, @PORT@ and @UPSTREAM@ filled in.
 * A student reads the filled-in copy in LAB/cache/NAME/nginx.conf. */
static const char conf_template[] =
    "# The lab's HTTP cache in front of its OCSP responder, as CDNs stood in\n"
    "# front of CAs' responders. Written by the scenario runner from the\n"
    "# template in scenarios/cache.c.\n"
    "daemon off;\n"
    "master_process off;\n"
    "# nginx empties its environment; libfaketime reads these two on every\n"
    "# clock read, so nginx's clock is the lab's simulated one.\n"
    "env FAKETIME_TIMESTAMP_FILE;\n"
    "env FAKETIME_NO_CACHE;\n"
    "pid @DIR@/nginx.pid;\n"
    "error_log @DIR@/error.log warn;\n"
    "events { worker_connections 512; }\n"
    "http {\n"
    "    log_format lab '$request_method $upstream_cache_status $status $remote_addr';\n"
    "    access_log @DIR@/access.log lab;\n"
    "    client_body_temp_path @DIR@/tmp/body;\n"
    "    proxy_temp_path @DIR@/tmp/proxy;\n"
    "    fastcgi_temp_path @DIR@/tmp/fastcgi;\n"
    "    uwsgi_temp_path @DIR@/tmp/uwsgi;\n"
    "    scgi_temp_path @DIR@/tmp/scgi;\n"
    "    # RFC 5019 6.2: an answer may be kept for its max-age, which the\n"
    "    # responder sets to the time left until its nextUpdate; no longer.\n"
    "    proxy_cache_path @DIR@/store levels=1:2 keys_zone=ocsp:1m max_size=64m\n"
    "                     inactive=30d use_temp_path=off;\n"
    "    server {\n"
    "        listen 127.0.0.1:@PORT@;\n"
    "        location / {\n"
    "            proxy_pass http://127.0.0.1:@UPSTREAM@;\n"
    "            proxy_cache ocsp;\n"
    "            # A GET's URL is the base64 request: one entry per certificate.\n"
    "            proxy_cache_key $request_method$request_uri;\n"
    "            # A POST (each with its own nonce) is never kept.\n"
    "            proxy_cache_methods GET HEAD;\n"
    "            # Misses for the same answer wait for one fetch, as a CDN's do.\n"
    "            proxy_cache_lock on;\n"
    "            add_header X-Cache-Status $upstream_cache_status always;\n"
    "        }\n"
    "    }\n"
    "}\n";

static bool is_executable(const char *path)
{
    return access(path, X_OK) == 0;
}

int scn_cache_find_tools(struct scn_cache_tools *tools, struct errbuf *err)
{
    memset(tools, 0, sizeof *tools);
    /* OCSPLAB_NGINX names another nginx (or, empty or missing, none). */
    const char *chosen = getenv("OCSPLAB_NGINX");
    if (chosen != NULL) {
        if (chosen[0] != 0 && is_executable(chosen))
            snprintf(tools->nginx, sizeof tools->nginx, "%s", chosen);
        goto faketime;
    }
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/sbin", path != NULL ? path : "/usr/bin:/bin");
    for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir != NULL;
         dir = strtok_r(NULL, ":", &save)) {
        char candidate[LAB_PATH_MAX];
        if (file_path_join(candidate, sizeof candidate, dir, "nginx") == 0 &&
            is_executable(candidate)) {
            snprintf(tools->nginx, sizeof tools->nginx, "%s", candidate);
            break;
        }
    }
faketime:;
    /* Debian's libfaketime, in its multiarch folder. */
    glob_t found;
    if (glob("/usr/lib/*/faketime/libfaketime.so.1", 0, NULL, &found) == 0) {
        if (found.gl_pathc > 0)
            snprintf(tools->faketime, sizeof tools->faketime, "%s", found.gl_pathv[0]);
        globfree(&found);
    } else if (access("/usr/lib/faketime/libfaketime.so.1", R_OK) == 0) {
        snprintf(tools->faketime, sizeof tools->faketime, "/usr/lib/faketime/libfaketime.so.1");
    }
    if (tools->nginx[0] == 0 || tools->faketime[0] == 0) {
        errbuf_set(err, "%s%s%s is not installed: %s", tools->nginx[0] == 0 ? "nginx" : "",
                   tools->nginx[0] == 0 && tools->faketime[0] == 0 ? " and " : "",
                   tools->faketime[0] == 0 ? "libfaketime" : "", SCN_CACHE_INSTALL_HINT);
        return -1;
    }
    return 0;
}

/* ---- Files ---------------------------------------------------------------------------------- */

/* The template with its three words filled in. */
static int write_conf(const struct scn_cache *c, const char *path, struct errbuf *err)
{
    char port[16], upstream[16], out[sizeof conf_template + 8 * LAB_PATH_MAX];
    snprintf(port, sizeof port, "%d", c->port);
    snprintf(upstream, sizeof upstream, "%d", c->upstream_port);
    size_t n = 0;
    for (const char *s = conf_template; *s != 0;) {
        const char *word = NULL;
        size_t skip = 0;
        if (strncmp(s, "@DIR@", 5) == 0)
            word = c->dir, skip = 5;
        else if (strncmp(s, "@PORT@", 6) == 0)
            word = port, skip = 6;
        else if (strncmp(s, "@UPSTREAM@", 10) == 0)
            word = upstream, skip = 10;
        size_t len = word != NULL ? strlen(word) : 1;
        if (n + len + 1 > sizeof out) {
            errbuf_set(err, "the lab's path is too long for nginx.conf");
            return -1;
        }
        memcpy(out + n, word != NULL ? word : s, len);
        n += len;
        s += word != NULL ? skip : 1;
    }
    return file_write_atomic(path, out, n, 0644, err);
}

static int make_dir(const char *path, struct errbuf *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        errbuf_set(err, "cannot make %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int in_dir(const struct scn_cache *c, const char *name, char *out, size_t cap,
                  struct errbuf *err)
{
    if (file_path_join(out, cap, c->dir, name) != 0) {
        errbuf_set(err, "the lab's path is too long");
        return -1;
    }
    return 0;
}

int scn_cache_set_clock(const struct scn_cache *c, int64_t offset_seconds, struct errbuf *err)
{
    char path[LAB_PATH_MAX], text[32];
    if (in_dir(c, "faketime", path, sizeof path, err) != 0)
        return -1;
    /* libfaketime's relative form: "+N" seconds from the real time. */
    int len = snprintf(text, sizeof text, "%+lld\n", (long long)offset_seconds);
    return file_write_atomic(path, text, (size_t)len, 0644, err);
}

/* ---- Start and stop ------------------------------------------------------------------------- */

static int free_port(struct errbuf *err)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        errbuf_set(err, "no free port for the cache: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(addr.sin_port);
}

static bool accepts(int port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool is_up = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return is_up;
}

int scn_cache_start(struct scn_cache *c, struct scn_child *child,
                    const struct scn_cache_tools *tools, const char *lab, const char *name,
                    int64_t offset_seconds, struct errbuf *err)
{
    char caches[LAB_PATH_MAX], conf[LAB_PATH_MAX], errlog[LAB_PATH_MAX], out[LAB_PATH_MAX];
    char tmp[LAB_PATH_MAX], clock_file[LAB_PATH_MAX], preload[LAB_PATH_MAX + 16];
    char clock_env[LAB_PATH_MAX + 32];
    if (file_path_join(caches, sizeof caches, lab, "cache") != 0 ||
        file_path_join(c->dir, sizeof c->dir, caches, name) != 0) {
        errbuf_set(err, "the lab's path is too long");
        return -1;
    }
    if (make_dir(caches, err) != 0 || make_dir(c->dir, err) != 0 ||
        in_dir(c, "tmp", tmp, sizeof tmp, err) != 0 || make_dir(tmp, err) != 0 ||
        in_dir(c, "nginx.conf", conf, sizeof conf, err) != 0 ||
        in_dir(c, "error.log", errlog, sizeof errlog, err) != 0 ||
        in_dir(c, "nginx.out", out, sizeof out, err) != 0 ||
        in_dir(c, "faketime", clock_file, sizeof clock_file, err) != 0 ||
        scn_cache_set_clock(c, offset_seconds, err) != 0)
        return -1;
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", tools->faketime);
    snprintf(clock_env, sizeof clock_env, "FAKETIME_TIMESTAMP_FILE=%s", clock_file);
    /* A port picked here may be taken by someone else before nginx binds
     * it: then nginx exits at once, and another port is tried. A port kept
     * from an earlier start (the certificates name it) is not changed. */
    bool may_move = c->port == 0;
    for (int attempt = 1;; attempt++) {
        if (may_move && (c->port = free_port(err)) < 0) {
            c->port = 0;
            return -1;
        }
        if (write_conf(c, conf, err) != 0)
            return -1;
        /* env(1) sets the preload for nginx alone, and execs it: the child
         * is nginx itself, in a process group of its own (procs.h). */
        const char *argv[] = {"/usr/bin/env", preload, clock_env, "FAKETIME_NO_CACHE=1",
                              tools->nginx,   "-p",    c->dir,    "-c",
                              conf,           "-e",    errlog,    NULL};
        if (scn_child_start(child, argv, out, errlog, err) != 0)
            return -1;
        int64_t deadline = clock_monotonic_ms() + SCN_START_TIMEOUT_MS;
        while (scn_child_is_running(child) && !accepts(c->port) &&
               clock_monotonic_ms() < deadline && scn_procs_interrupted() == 0)
            scn_sleep_ms(20);
        if (scn_child_is_running(child) && accepts(c->port))
            return 0;
        char tail[400];
        scn_child_stderr_tail(child, tail, sizeof tail);
        bool has_exited = !scn_child_is_running(child);
        scn_child_stop(child, SCN_STOP_GRACE_MS);
        if (!(may_move && has_exited && attempt < 3 && strstr(tail, "in use") != NULL)) {
            errbuf_set(err, "nginx did not start on port %d%s%s", c->port, tail[0] != 0 ? ": " : "",
                       tail);
            return -1;
        }
    }
}

/* ---- The access log ------------------------------------------------------------------------- */

static void tally(struct scn_cache_tally *t, bool is_hit)
{
    t->requests++;
    if (is_hit)
        t->hits++;
    else
        t->misses++;
}

int scn_cache_count(const char *dir, struct scn_cache_counts *out, struct errbuf *err)
{
    char path[LAB_PATH_MAX], line[512];
    memset(out, 0, sizeof *out);
    if (file_path_join(path, sizeof path, dir, "access.log") != 0) {
        errbuf_set(err, "the lab's path is too long");
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 0; /* nothing asked yet */
        errbuf_set(err, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] != '\n' && !feof(f)) {
            /* Longer than any line of the lab's format: skip the rest. */
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
            out->bad_lines++;
            continue;
        }
        char method[16], status[16];
        int code;
        if (sscanf(line, "%15s %15s %d", method, status, &code) != 3) {
            out->bad_lines++;
            continue;
        }
        bool is_hit = strcmp(status, "HIT") == 0 || strcmp(status, "STALE") == 0 ||
                      strcmp(status, "UPDATING") == 0 || strcmp(status, "REVALIDATED") == 0;
        tally(&out->all, is_hit);
        if (strcmp(method, "GET") == 0)
            tally(&out->get, is_hit);
        else if (strcmp(method, "POST") == 0)
            tally(&out->post, is_hit);
    }
    fclose(f);
    return 0;
}

static json_t *tally_json(const struct scn_cache_tally *t)
{
    return json_pack("{s:I, s:I, s:I}", "requests", (json_int_t)t->requests, "hits",
                     (json_int_t)t->hits, "misses", (json_int_t)t->misses);
}

json_t *scn_cache_counts_json(const struct scn_cache_counts *counts)
{
    return json_pack("{s:I, s:I, s:I, s:o, s:o}", "requests", (json_int_t)counts->all.requests,
                     "hits", (json_int_t)counts->all.hits, "misses", (json_int_t)counts->all.misses,
                     "GET", tally_json(&counts->get), "POST", tally_json(&counts->post));
}
