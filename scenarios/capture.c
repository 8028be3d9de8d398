/* capture.c — recording a scenario run's loopback traffic with tcpdump (or
 * dumpcap) for Wireshark. The tool is one more child of the runner (procs.c:
 * its own process group, stopped by the kernel if the runner is killed), so
 * no capture outlives the run; what it records is every TCP packet on
 * 127.0.0.0/8, which is all the lab's traffic (DESIGN section 7). */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"

/* Only the lab: TCP on the loopback network, nothing else the machine does. */
#define CAPTURE_FILTER "tcp and net 127.0.0.0/8"
/* Twenty users handshake at once: a burst that overflows libpcap's default
 * 2 MiB ring (tcpdump reported dozens of "packets dropped by kernel" in
 * lesson 2); 16 MiB dropped none. */
#define CAPTURE_BUFFER_MIB 16
/* Before SIGINT: the tool's file must have stopped growing for this long, so
 * the last FIN of the last server stopped is in (bounded by the total). */
#define CAPTURE_SETTLE_QUIET_MS 150
#define CAPTURE_SETTLE_MAX_MS 1000
#define CAPTURE_POLL_MS 10
#define CAPTURE_MAX_MESSAGE 4096

static void sleep_ms(int ms)
{
    /* Not scn_sleep_ms: a Ctrl-C must not cut the waits of a stop short. */
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The first `name` in PATH that we may execute. */
static int find_in_path(const char *name, char *out, size_t cap)
{
    const char *path = getenv("PATH");
    if (path == NULL || path[0] == 0)
        return -1;
    while (*path != 0) {
        size_t len = strcspn(path, ":");
        char dir[LAB_PATH_MAX];
        struct stat st;
        /* An empty entry means the current folder, as in the shell. */
        snprintf(dir, sizeof dir, "%.*s", (int)(len == 0 ? 1 : len), len == 0 ? "." : path);
        if (len < sizeof dir && file_path_join(out, cap, dir, name) == 0 && stat(out, &st) == 0 &&
            S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return 0;
        path += len;
        if (*path == ':')
            path++;
    }
    return -1;
}

static void remove_log_dir(struct scn_capture *c)
{
    char path[LAB_PATH_MAX];
    if (c->log_dir[0] == 0)
        return;
    if (file_path_join(path, sizeof path, c->log_dir, "capture.err") == 0)
        unlink(path);
    rmdir(c->log_dir);
    c->log_dir[0] = 0;
}

static bool is_permission_problem(const char *said)
{
    return strstr(said, "ermission") != NULL || strstr(said, "not permitted") != NULL;
}

/* The tool's words on one line, for an error message. */
static void one_line(char *text)
{
    for (char *s = text; *s != 0; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

/* Waits until the tool says it captures; on failure says why and what to do. */
static int wait_until_capturing(struct scn_capture *c, struct errbuf *err)
{
    /* Both print this once the interface is open and the filter is set. */
    const char *ready = strcmp(c->tool, "tcpdump") == 0 ? "listening on" : "Capturing on";
    char said[CAPTURE_MAX_MESSAGE];
    long long deadline = clock_monotonic_ms() + SCN_CAPTURE_START_TIMEOUT_MS;
    for (;;) {
        scn_child_stderr_tail(&c->child, said, sizeof said);
        if (strstr(said, ready) != NULL)
            return 0;
        if (!scn_child_is_running(&c->child)) {
            char how[128];
            scn_child_stderr_tail(&c->child, said, sizeof said);
            one_line(said);
            scn_child_describe_exit(&c->child, how, sizeof how);
            if (is_permission_problem(said))
                errbuf_set(err,
                           "%s may not capture on lo (it said: %.200s); run as root, or "
                           "give it capture rights: sudo setcap "
                           "cap_net_raw,cap_net_admin=eip $(command -v %s)",
                           c->tool, said, c->tool);
            else
                errbuf_set(err, "%s %s before capturing: %.300s", c->tool, how,
                           said[0] != 0 ? said : "(it said nothing)");
            return -1;
        }
        if (scn_procs_interrupted() != 0) {
            errbuf_set(err, "interrupted while %s was starting", c->tool);
            return -1;
        }
        if (clock_monotonic_ms() >= deadline) {
            errbuf_set(err, "%s did not start capturing within %d s (it printed no '%s')", c->tool,
                       SCN_CAPTURE_START_TIMEOUT_MS / 1000, ready);
            return -1;
        }
        sleep_ms(CAPTURE_POLL_MS);
    }
}

int scn_capture_keylog_path(const char *file, char *out, size_t cap)
{
    const char *slash = strrchr(file, '/');
    const char *dot = strrchr(file, '.');
    size_t stem =
        dot != NULL && (slash == NULL || dot > slash + 1) ? (size_t)(dot - file) : strlen(file);
    int n = snprintf(out, cap, "%.*s.keys", (int)stem, file);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* An empty key log, private to its owner, replacing an older run's. */
static int start_keylog(struct scn_capture *c, struct errbuf *err)
{
    if (scn_capture_keylog_path(c->file, c->keylog, sizeof c->keylog) != 0) {
        errbuf_set(err, "the capture's name is too long for a key log beside it: %s", c->file);
        return -1;
    }
    int fd = open(c->keylog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        errbuf_set(err, "cannot create the key log %s: %s", c->keylog, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

int scn_capture_start(struct scn_capture *c, const char *file, struct errbuf *err)
{
    char tool_path[LAB_PATH_MAX], err_path[LAB_PATH_MAX], buffer[16];
    const char *argv[24];
    size_t n = 0;
    memset(c, 0, sizeof *c);
    c->child.pid = -1;
    c->packets = -1;
    snprintf(c->file, sizeof c->file, "%s", file);
    if (find_in_path("tcpdump", tool_path, sizeof tool_path) == 0) {
        snprintf(c->tool, sizeof c->tool, "tcpdump");
    } else if (find_in_path("dumpcap", tool_path, sizeof tool_path) == 0) {
        snprintf(c->tool, sizeof c->tool, "dumpcap");
    } else {
        errbuf_set(err, "--capture needs tcpdump (or Wireshark's dumpcap) in PATH, and neither "
                        "is there: install it (sudo apt-get install tcpdump, or "
                        "scripts/install-deps.sh) and run again");
        return -1;
    }
    const char *base = getenv("TMPDIR");
    snprintf(c->log_dir, sizeof c->log_dir, "%s/ocsplab-capture-XXXXXX",
             base != NULL && base[0] != 0 ? base : "/tmp");
    if (mkdtemp(c->log_dir) == NULL) {
        errbuf_set(err, "cannot create a folder for %s's messages: %s", c->tool, strerror(errno));
        c->log_dir[0] = 0;
        return -1;
    }
    if (file_path_join(err_path, sizeof err_path, c->log_dir, "capture.err") != 0) {
        errbuf_set(err, "the temporary folder's path is too long: %s", c->log_dir);
        remove_log_dir(c);
        return -1;
    }
    argv[n++] = tool_path;
    argv[n++] = "-i";
    argv[n++] = "lo";
    if (strcmp(c->tool, "tcpdump") == 0) {
        snprintf(buffer, sizeof buffer, "%d", CAPTURE_BUFFER_MIB * 1024); /* KiB */
        argv[n++] = "-s"; /* 0: whole packets, certificates and staples included */
        argv[n++] = "0";
        argv[n++] = "-U"; /* each packet is in the file as soon as it is seen */
        argv[n++] = "--immediate-mode";
        argv[n++] = "-B";
        argv[n++] = buffer;
        argv[n++] = "-n";
        /* As root, tcpdump would switch to its own user before writing, which
         * may not enter the folder of FILE; a root run keeps root's rights. */
        if (geteuid() == 0) {
            argv[n++] = "-Z";
            argv[n++] = "root";
        }
        argv[n++] = "-w";
        argv[n++] = file;
        argv[n++] = CAPTURE_FILTER;
    } else {
        snprintf(buffer, sizeof buffer, "%d", CAPTURE_BUFFER_MIB); /* MiB */
        argv[n++] = "-P"; /* pcap, as tcpdump writes: FILE means the same either way */
        argv[n++] = "-B";
        argv[n++] = buffer;
        argv[n++] = "-f";
        argv[n++] = CAPTURE_FILTER;
        argv[n++] = "-w";
        argv[n++] = file;
    }
    argv[n] = NULL;
    if (scn_child_start(&c->child, argv, "/dev/null", err_path, err) != 0) {
        remove_log_dir(c);
        return -1;
    }
    if (wait_until_capturing(c, err) != 0 || start_keylog(c, err) != 0) {
        scn_child_stop(&c->child, SCN_STOP_GRACE_MS);
        remove_log_dir(c);
        c->keylog[0] = 0;
        return -1;
    }
    c->is_started = true;
    return 0;
}

void scn_capture_note_server(struct scn_capture *c, const char *lab, const char *stem,
                             const char *name, const char *site, bool is_tls, int port)
{
    if (port <= 0)
        return;
    for (size_t i = 0; i < c->server_count; i++)
        if (c->servers[i].port == port && strcmp(c->servers[i].lab, lab) == 0)
            return;
    if (c->server_count == SCN_CAPTURE_MAX_SERVERS)
        return;
    struct scn_capture_server *s = &c->servers[c->server_count++];
    snprintf(s->lab, sizeof s->lab, "%s", lab);
    snprintf(s->stem, sizeof s->stem, "%s", stem);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->site, sizeof s->site, "%s", is_tls ? site : "");
    s->is_tls = is_tls;
    s->port = port;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Gives the kernel's last packets time to reach the file: tcpdump -U writes
 * each packet at once, so a file that stopped growing holds them all. */
static void settle(const struct scn_capture *c)
{
    long long deadline = clock_monotonic_ms() + CAPTURE_SETTLE_MAX_MS;
    long long size = file_size(c->file), quiet_since = clock_monotonic_ms();
    while (clock_monotonic_ms() < deadline &&
           clock_monotonic_ms() - quiet_since < CAPTURE_SETTLE_QUIET_MS) {
        sleep_ms(CAPTURE_POLL_MS);
        long long now_size = file_size(c->file);
        if (now_size != size) {
            size = now_size;
            quiet_since = clock_monotonic_ms();
        }
    }
}

/* The number in front of `words` ("466 packets captured"), or -1. */
static long long number_before(const char *said, const char *words)
{
    const char *at = strstr(said, words);
    const char *start = at;
    while (start != NULL && start > said && start[-1] >= '0' && start[-1] <= '9')
        start--;
    return start != NULL && start < at ? strtoll(start, NULL, 10) : -1;
}

/* "466 packets captured" (tcpdump) or "Packets captured: 466" (dumpcap). */
static long long parse_count(const char *said)
{
    const char *at = strstr(said, "Packets captured: ");
    if (at != NULL)
        return strtoll(at + strlen("Packets captured: "), NULL, 10);
    return number_before(said, " packets captured");
}

void scn_capture_stop(struct scn_capture *c)
{
    char said[CAPTURE_MAX_MESSAGE];
    if (!c->is_started || c->log_dir[0] == 0)
        return;
    bool was_running = scn_child_is_running(&c->child);
    if (was_running) {
        settle(c);
        /* Ctrl-C, as a person would stop it: it writes its count and exits.
         * The group is still ours: its leader is running, so not yet reaped. */
        kill(-c->child.pid, SIGINT);
        long long deadline = clock_monotonic_ms() + SCN_CAPTURE_STOP_GRACE_MS;
        while (scn_child_is_running(&c->child) && clock_monotonic_ms() < deadline)
            sleep_ms(CAPTURE_POLL_MS);
    }
    scn_child_stop(&c->child, SCN_STOP_GRACE_MS); /* SIGTERM, then SIGKILL; always reaped */
    scn_child_stderr_tail(&c->child, said, sizeof said);
    c->packets = parse_count(said);
    if (!was_running) {
        char how[128];
        one_line(said);
        scn_child_describe_exit(&c->child, how, sizeof how);
        snprintf(c->warning, sizeof c->warning, "%s %s during the run: %.300s", c->tool, how, said);
    } else if (c->packets < 0) {
        snprintf(c->warning, sizeof c->warning, "%s did not say how many packets it captured",
                 c->tool);
    } else if (number_before(said, " packets dropped by kernel") > 0) {
        /* A class would look for a packet that is not there: say so. */
        snprintf(c->warning, sizeof c->warning,
                 "the kernel dropped %lld packets, so the "
                 "capture misses some (a busy machine?)",
                 number_before(said, " packets dropped by kernel"));
    }
    remove_log_dir(c);
}

/* "tcp port 41669 as HTTP (responder) and 46033 as TLS (web server shop.test)"
 * for the servers of the lab at servers[first]. */
static void describe_lab(const struct scn_capture *c, size_t first, char *out, size_t cap)
{
    size_t used = 0, total = 0, k = 0;
    for (size_t i = first; i < c->server_count; i++)
        total += strcmp(c->servers[i].lab, c->servers[first].lab) == 0;
    out[0] = 0;
    for (size_t i = first; i < c->server_count && used < cap; i++) {
        const struct scn_capture_server *s = &c->servers[i];
        char who[SCN_MAX_NAME + SCN_MAX_SITE + 32];
        if (strcmp(s->lab, c->servers[first].lab) != 0)
            continue;
        if (!s->is_tls && strcmp(s->name, "responder") == 0)
            snprintf(who, sizeof who, "responder");
        else if (!s->is_tls)
            snprintf(who, sizeof who, "responder '%s'", s->name);
        else if (strcmp(s->name, s->site) == 0)
            snprintf(who, sizeof who, "web server %s", s->site);
        else
            snprintf(who, sizeof who, "web server '%s' for %s", s->name, s->site);
        used += (size_t)snprintf(out + used, cap - used, "%s%d as %s (%s)",
                                 k == 0           ? "TCP port "
                                 : k + 1 == total ? " and "
                                                  : ", ",
                                 s->port, s->is_tls ? "TLS" : "HTTP", who);
        k++;
    }
}

/* "-d tcp.port==41669,http -d tcp.port==46033,tls" */
static void tshark_options(const struct scn_capture *c, size_t first, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = first; i < c->server_count && used < cap; i++)
        if (strcmp(c->servers[i].lab, c->servers[first].lab) == 0)
            used += (size_t)snprintf(out + used, cap - used, "%s-d tcp.port==%d,%s",
                                     used == 0 ? "" : " ", c->servers[i].port,
                                     c->servers[i].is_tls ? "tls" : "http");
}

static bool is_first_of_lab(const struct scn_capture *c, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(c->servers[k].lab, c->servers[i].lab) == 0)
            return false;
    return true;
}

int scn_capture_write_ports(const struct scn_capture *c, struct errbuf *err)
{
    char file[PATH_MAX];
    int rc = 0;
    /* The file as a path that works from anywhere: a teacher reads this later. */
    if (realpath(c->file, file) == NULL)
        snprintf(file, sizeof file, "%s", c->file);
    for (size_t i = 0; i < c->server_count; i++) {
        if (!is_first_of_lab(c, i))
            continue;
        char text[8192], options[2048], path[LAB_PATH_MAX];
        size_t used = (size_t)snprintf(
            text, sizeof text,
            "# The ports of lab %s's servers in %s (scenario run --capture).\n"
            "# They are random on every run: tell Wireshark with Decode As... (TCP port as\n"
            "# HTTP or TLS), or tshark with the -d options on the last line.\n"
            "# protocol port program name [site]\n",
            c->servers[i].stem, file);
        for (size_t k = i; k < c->server_count && used < sizeof text; k++) {
            const struct scn_capture_server *s = &c->servers[k];
            if (strcmp(s->lab, c->servers[i].lab) != 0)
                continue;
            used += (size_t)snprintf(text + used, sizeof text - used, "%s %d %s %s%s%s\n",
                                     s->is_tls ? "tls" : "http", s->port,
                                     s->is_tls ? "webserver" : "responder", s->name,
                                     s->is_tls ? " " : "", s->site);
        }
        tshark_options(c, i, options, sizeof options);
        if (used < sizeof text)
            used += (size_t)snprintf(text + used, sizeof text - used, "# tshark -r %s %s\n", file,
                                     options);
        if (used >= sizeof text ||
            file_path_join(path, sizeof path, c->servers[i].lab, SCN_CAPTURE_PORTS_FILE) != 0) {
            errbuf_set(err, "the port list of %s does not fit", c->servers[i].lab);
            rc = -1;
            continue;
        }
        if (file_write_atomic(path, text, used, 0644, err) != 0)
            rc = -1;
    }
    return rc;
}

void scn_capture_print_summary(const struct scn_capture *c, FILE *out)
{
    if (!c->is_started)
        return;
    if (c->packets >= 0)
        fprintf(out, "capture: %lld packet%s in %s\n", c->packets, c->packets == 1 ? "" : "s",
                c->file);
    else
        fprintf(out, "capture: %s\n", c->file);
    if (c->server_count > 0)
        fprintf(out, "  The lab's servers use random ports; decode them per lab:\n");
    for (size_t i = 0; i < c->server_count; i++) {
        if (!is_first_of_lab(c, i))
            continue;
        char what[4096], options[2048], path[LAB_PATH_MAX];
        describe_lab(c, i, what, sizeof what);
        tshark_options(c, i, options, sizeof options);
        fprintf(out, "  lab %s: Wireshark: Decode As… %s\n", c->servers[i].stem, what);
        fprintf(out, "    tshark -r %s %s\n", c->file, options);
        /* A temporary run is gone by now; a kept one holds the list. */
        if (file_path_join(path, sizeof path, c->servers[i].lab, SCN_CAPTURE_PORTS_FILE) == 0 &&
            access(path, F_OK) == 0)
            fprintf(out, "    (the ports are kept in %s)\n", path);
    }
    fprintf(out,
            "  The browsers' TLS secrets are in %s: with them Wireshark decrypts TLS 1.3\n"
            "  and shows the staple inside the Certificate message (tshark -o\n"
            "  tls.keylog_file:%s ...). Anyone with that file can read every visit.\n",
            c->keylog, c->keylog);
    if (c->server_count > 0)
        fprintf(out, "  Display filters that show the staple: scenarios/README.md, "
                     "\"Packet captures\".\n");
}
