/* runner.c -- many simulations at once (runner.h): the engine of compare.
 *
 * Why it looks like this:
 * - One child process per job (fork + waitpid): a crash, a leak or an abort
 *   in one simulation cannot take the batch down, and children share nothing
 *   but the files they write.  A child sends its run_outcome back on its own
 *   pipe: the fixed-size struct, then its scopes (groups and windows, any
 *   number).  The parent drains every pipe whenever it looks at its children
 *   (the read ends are non-blocking), so a child with much to say never
 *   blocks for long, and reads the rest after reaping it.  outcomes[i] belongs to job i whatever
 *   order the children end in, so results never depend on -j.
 * - A forked child ends with _exit(): it must not return into the parent's
 *   code (it would go on running the rest of the batch), and exit() would run
 *   atexit handlers and flush stdio buffers it inherited from the parent,
 *   writing the parent's pending output twice.  It ends only the child.
 * - SIGINT without a signal handler (no global flag): while a batch runs the
 *   parent blocks SIGINT and SIGCHLD and waits for either with sigtimedwait(),
 *   so "a child ended" and "the user pressed ^C" arrive on one path.  Every
 *   simulation (in a child, or here with -j 1) runs with SIGINT blocked and a
 *   sink that polls sigpending() at every 16th host sample: a ^C stops it
 *   within a few samples, and it cleans up after itself (out_abort: no
 *   temporaries left) and reports "interrupted".  A ^C from the terminal
 *   reaches the children directly; one sent to the parent alone is passed on.
 *   A second ^C kills the children outright (SIGKILL), for a run stuck
 *   between two samples.
 * - The run directory of a job is written by run_one_to_dir(), the same
 *   function `balloonsim run -o` uses, with run.json's command line being the
 *   equivalent `balloonsim run ...` command, so any run of a batch can be
 *   repeated alone and both always write the same files. */
#include "sim/batch/runner.h"
#include "sim/base/fsutil.h"
#include "sim/base/text.h"

#include "sim/base/strutil.h"
#include "sim/engine.h"
#include "sim/report/output.h"
#include "plots/plot.h"
#include "sim/scenario.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>



#define RUN_POLL_EVERY 16   /* host samples between two looks for a pending SIGINT */
#define RUN_WAIT_MS 500     /* longest sleep between two looks at the children */

static const char interrupted_msg[] = "interrupted";

/* ---------------------------------------------------------------- messages */

static void set_message(run_outcome *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_message(run_outcome *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
}

/* Every loader error, one per line, cut to the message buffer with "..." when
 * there are too many. */
static void errs_to_message(const cfg_errs *errs, run_outcome *out, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m != NULL) {
        cfg_errs_print(errs, m);
        fclose(m);
    }
    if (buf == NULL || len == 0) {
        set_message(out, "%s: cannot load the scenario", path);
    } else {
        if (buf[len - 1] == '\n')
            buf[--len] = '\0';
        if (len >= sizeof out->message)
            set_message(out, "%.*s...", (int)(sizeof out->message - 4), buf);
        else
            set_message(out, "%s", buf);
    }
    free(buf);
}

/* ---------------------------------------------------------------- SIGINT */

static bool sigint_pending(void)
{
    sigset_t p;
    return sigpending(&p) == 0 && sigismember(&p, SIGINT) == 1;
}

/* A sink in front of the output's (or of none) that stops the run with an
 * error once a SIGINT is pending.  It only sees a blocked SIGINT, i.e. inside
 * run_batch(); elsewhere SIGINT acts as usual and this never fires. */
typedef struct poll_sink {
    const eng_sink *inner;
    eng_sink sink;
    unsigned count;
    bool interrupted;
} poll_sink;

static bs_rc poll_vm(void *ctx, const eng_vm_sample *row)
{
    poll_sink *p = ctx;
    return p->inner->vm_sample(p->inner->ctx, row);
}

static bs_rc poll_event(void *ctx, const eng_event *ev)
{
    poll_sink *p = ctx;
    return p->inner->event(p->inner->ctx, ev);
}

static bs_rc poll_host(void *ctx, const eng_host_sample *row)
{
    poll_sink *p = ctx;
    if (++p->count % RUN_POLL_EVERY == 0 && sigint_pending()) {
        p->interrupted = true;
        return BS_ERR_INTERNAL;
    }
    return p->inner && p->inner->host_sample ? p->inner->host_sample(p->inner->ctx, row) : BS_OK;
}

static const eng_sink *poll_wrap(poll_sink *p, const eng_sink *inner)
{
    *p = (poll_sink){.inner = inner};
    p->sink = (eng_sink){.ctx = p,
                         .vm_sample = inner && inner->vm_sample ? poll_vm : NULL,
                         .host_sample = poll_host,
                         .event = inner && inner->event ? poll_event : NULL};
    return &p->sink;
}

/* ---------------------------------------------------------------- one job */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The `balloonsim run` command that repeats this job alone (for run.json). */
static char *job_command_line(const run_job *job, const scen *sc)
{
    size_t max = 10 + 2 * job->n_sets;
    char **argv = calloc(max, sizeof *argv);
    char seed[32];
    if (argv == NULL)
        return NULL;
    int n = 0;
    argv[n++] = (char *)"balloonsim";
    argv[n++] = (char *)"run";
    argv[n++] = (char *)job->scenario;
    for (size_t i = 0; i < job->n_sets; i++) {
        argv[n++] = (char *)"--set";
        argv[n++] = (char *)job->sets[i];
    }
    if (job->policy) {
        argv[n++] = (char *)"-p";
        argv[n++] = (char *)job->policy;
    }
    snprintf(seed, sizeof seed, "%" PRIu64, sc->seed);
    argv[n++] = (char *)"-s";
    argv[n++] = seed;
    argv[n++] = (char *)"-o";
    argv[n++] = (char *)job->out_dir;
    assert((size_t)n <= max);
    char *line = bs_join_argv(n, argv);
    free(argv);
    return line;
}

static char *join_path(const char *dir, const char *name)
{
    size_t ld = strlen(dir), ln = strlen(name);
    char *p = malloc(ld + ln + 2);
    if (p != NULL)
        snprintf(p, ld + ln + 2, "%s%s%s", dir, ld && dir[ld - 1] == '/' ? "" : "/", name);
    return p;
}

/* Write one file of a summary-only directory: a dot-named temporary renamed
 * when complete, as output.c does for a full one.  `what` selects the
 * content: summary.json (out_write_summary_json) or run.json (the same four
 * keys as output.c's). */
static bs_rc write_small(const char *dir, const char *name, const scen *sc, const eng_result *res,
                         const char *cmdline, double wall)
{
    char tmpname[64];
    snprintf(tmpname, sizeof tmpname, ".%s.tmp", name);
    char *tmp = join_path(dir, tmpname), *final = join_path(dir, name);
    bs_rc rc = tmp && final ? BS_OK : BS_ERR_INTERNAL;
    FILE *f = rc == BS_OK ? fopen(tmp, "w") : NULL;
    if (rc == BS_OK && f == NULL) {
        fprintf(stderr, "balloonsim: cannot create %s: %s\n", tmp, strerror(errno));
        rc = BS_ERR_INTERNAL;
    }
    if (f != NULL) {
        if (strcmp(name, "summary.json") == 0) {
            rc = out_write_summary_json(f, sc, res);
        } else {
            char w[40];
            txt_format_double(w, wall);
            fputs("{\n  \"version\": ", f);
            txt_json_string(f, BS_VERSION);
            fputs(",\n  \"command_line\": ", f);
            txt_json_string(f, cmdline ? cmdline : "");
            fprintf(f, ",\n  \"wall_time_s\": %s,\n  \"events\": %" PRIu64 "\n}\n", w, res->events);
        }
        bool bad = ferror(f) != 0;
        if ((fclose(f) != 0 || bad) && rc == BS_OK) {
            fprintf(stderr, "balloonsim: cannot write %s: %s\n", tmp, strerror(errno));
            rc = BS_ERR_INTERNAL;
        }
        if (rc == BS_OK && rename(tmp, final) != 0) {
            fprintf(stderr, "balloonsim: cannot rename %s to %s: %s\n", tmp, final, strerror(errno));
            rc = BS_ERR_INTERNAL;
        }
        if (rc != BS_OK)
            unlink(tmp);
    }
    free(tmp);
    free(final);
    return rc;
}

static const eng_sink *poll_wrap_cb(void *ctx, const eng_sink *inner)
{
    return poll_wrap(ctx, inner);
}

bs_rc run_one_to_dir(const scen *sc, const char *dir, const run_dir_opts *opts, eng_result *res,
                     bool *sim_failed)
{
    *sim_failed = false;
    out_run *o = NULL;
    bs_rc rc = out_open(dir, &o);
    if (rc != BS_OK)
        return rc;
    const eng_sink *sink = opts->wrap ? opts->wrap(opts->ctx, out_sink(o)) : out_sink(o);
    double t0 = now_s();
    rc = eng_run(sc, sink, res);
    double wall = now_s() - t0;
    if (opts->unwrap)
        opts->unwrap(opts->ctx, sink);
    if (rc != BS_OK) {
        *sim_failed = true;
        out_abort(o);
        return rc;
    }
    out_info info = {.command_line = opts->command_line, .wall_s = wall, .events = res->events};
    rc = out_finish(o, sc, res, &info);
    if (rc != BS_OK) {
        eng_result_free(res);
        return rc;
    }
    /* The results are complete by now; a plotting problem is only a warning. */
    bs_rc prc = plot_write_run_scripts(dir, sc, res);
    if (prc == BS_OK && opts->plots) {
        bool skipped = false;
        prc = plot_render(dir, &skipped);
        if (prc == BS_OK && skipped && opts->say_skipped)
            fputs("plots skipped: gnuplot not found\n", stderr);
    }
    if (prc != BS_OK)
        fprintf(stderr, "%s: warning: plots of %s are incomplete\n", opts->who, dir);
    return BS_OK;
}

/* Run `sc` with the job's outputs; fills res (caller frees on BS_OK). */
static bs_rc run_with_outputs(const run_job *job, const scen *sc, eng_result *res, bool *interrupted)
{
    poll_sink ps;
    char *cmdline = job->out_dir ? job_command_line(job, sc) : NULL;
    bs_rc rc = BS_OK;
    if (job->out_dir == NULL) {
        rc = eng_run(sc, poll_wrap(&ps, NULL), res);
    } else if (job->summary_only) {
        rc = fs_mkdirs(job->out_dir);
        double t0 = now_s();
        if (rc == BS_OK)
            rc = eng_run(sc, poll_wrap(&ps, NULL), res);
        double wall = now_s() - t0;
        if (rc == BS_OK) {
            /* run.json first: summary.json's presence means "complete". */
            rc = write_small(job->out_dir, "run.json", sc, res, cmdline, wall);
            if (rc == BS_OK)
                rc = write_small(job->out_dir, "summary.json", sc, res, cmdline, wall);
            if (rc != BS_OK)
                eng_result_free(res);
        }
    } else {
        run_dir_opts o = {.command_line = cmdline, .plots = job->plots, .who = "balloonsim",
                          .wrap = poll_wrap_cb, .ctx = &ps};
        bool sim_failed = false;
        rc = run_one_to_dir(sc, job->out_dir, &o, res, &sim_failed);
    }
    *interrupted = ps.interrupted;
    free(cmdline);
    return rc;
}

void run_one(const run_job *job, run_outcome *out)
{
    assert(job != NULL && out != NULL && job->scenario != NULL);
    memset(out, 0, sizeof *out);
    scen_overrides ov = {.sets = job->sets,
                         .n_sets = job->n_sets,
                         .policy = job->policy,
                         .has_seed = job->has_seed,
                         .seed = job->seed};
    cfg_errs errs = {0};
    scen *sc = NULL;
    out->rc = scen_load(job->scenario, &ov, &errs, &sc);
    if (out->rc != BS_OK) {
        errs_to_message(&errs, out, job->scenario);
        cfg_errs_free(&errs);
        return;
    }
    cfg_errs_free(&errs);
    eng_result res = {0};
    bool interrupted = false;
    out->rc = run_with_outputs(job, sc, &res, &interrupted);
    if (out->rc == BS_OK) {
        out->run = res.run;
        out->events = res.events;
        out->scopes = res.scopes;
        res.scopes = (met_set){0};
        eng_result_free(&res);
    } else if (interrupted) {
        out->rc = BS_ERR_INTERNAL;
        set_message(out, "%s", interrupted_msg);
    } else if (job->out_dir) {
        set_message(out, "%s: the simulation or its run directory %s failed%s", job->scenario,
                    job->out_dir, out->rc == BS_ERR_INTERNAL ? " (internal error)" : "");
    } else {
        set_message(out, "%s: the simulation failed%s", job->scenario,
                    out->rc == BS_ERR_INTERNAL ? " (internal error)" : "");
    }
    scen_free(sc);
}

int run_default_parallelism(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > INT_MAX ? INT_MAX : (int)n;
}

/* ---------------------------------------------------------------- batch */

typedef struct slot {
    pid_t pid; /* 0: free */
    int fd;    /* read end of the child's pipe (non-blocking) */
    size_t job;
    char *buf; /* what the child has sent so far */
    size_t len, cap;
    bool overflow; /* out of memory while reading: the outcome is lost */
} slot;

void run_outcome_free(run_outcome *o)
{
    if (o) met_set_free(&o->scopes);
}

/* The wire form of an outcome: the struct (its scopes pointer meaningless),
 * then the number of scopes and per scope its group and window (a length,
 * UINT32_MAX for none, and the bytes) and its values. */
static bool put(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        size_t nc = *cap ? *cap : 4096;
        while (nc < *len + n) nc *= 2;
        char *nb = realloc(*buf, nc);
        if (!nb) return false;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    return true;
}

static bool put_name(char **buf, size_t *len, size_t *cap, const char *name)
{
    uint32_t n = name ? (uint32_t)strlen(name) : UINT32_MAX;
    return put(buf, len, cap, &n, sizeof n) && (!name || put(buf, len, cap, name, n));
}

static bool encode_outcome(const run_outcome *o, char **buf, size_t *len)
{
    size_t cap = 0;
    *buf = NULL;
    *len = 0;
    uint32_t n = (uint32_t)o->scopes.n;
    bool ok = put(buf, len, &cap, o, sizeof *o) && put(buf, len, &cap, &n, sizeof n);
    for (size_t i = 0; ok && i < o->scopes.n; i++) {
        const met_scope *sc = &o->scopes.s[i];
        ok = put_name(buf, len, &cap, sc->group) && put_name(buf, len, &cap, sc->window) &&
             put(buf, len, &cap, &sc->v, sizeof sc->v);
    }
    if (!ok) {
        free(*buf);
        *buf = NULL;
    }
    return ok;
}

static bool take(const char *buf, size_t len, size_t *at, void *p, size_t n)
{
    if (len - *at < n) return false;
    memcpy(p, buf + *at, n);
    *at += n;
    return true;
}

static bool take_name(const char *buf, size_t len, size_t *at, char *name, size_t cap, bool *none)
{
    uint32_t n;
    if (!take(buf, len, at, &n, sizeof n)) return false;
    *none = n == UINT32_MAX;
    if (*none) return true;
    if (n >= cap || len - *at < n) return false;
    memcpy(name, buf + *at, n);
    name[n] = '\0';
    *at += n;
    return true;
}

/* false: truncated or malformed (the outcome is then lost). */
static bool decode_outcome(const char *buf, size_t len, run_outcome *out)
{
    size_t at = 0;
    uint32_t n;
    if (!take(buf, len, &at, out, sizeof *out)) return false;
    out->scopes = (met_set){0};
    if (!take(buf, len, &at, &n, sizeof n)) return false;
    for (uint32_t i = 0; i < n; i++) {
        char g[4096], w[4096];
        bool g_none, w_none;
        met_values v;
        if (!take_name(buf, len, &at, g, sizeof g, &g_none) ||
            !take_name(buf, len, &at, w, sizeof w, &w_none) || !take(buf, len, &at, &v, sizeof v) ||
            met_set_add(&out->scopes, g_none ? NULL : g, w_none ? NULL : w, &v) != BS_OK) {
            met_set_free(&out->scopes);
            return false;
        }
    }
    return at == len;
}

/* Read what the child has written so far. */
static void drain_pipe(slot *s)
{
    for (;;) {
        char chunk[16384];
        ssize_t k = read(s->fd, chunk, sizeof chunk);
        if (k > 0) {
            if (!s->overflow && !put(&s->buf, &s->len, &s->cap, chunk, (size_t)k)) s->overflow = true;
        } else if (k < 0 && errno == EINTR) {
            continue;
        } else {
            return; /* end of file, or nothing more now (EAGAIN) */
        }
    }
}

/* Read the child's outcome after it ended; decide what its status means.
 * Returns whether the run was interrupted (it then stays unfinished). */
static bool collect(slot *s, int status, run_outcome *out, bool we_killed)
{
    bool interrupted = false;
    run_outcome got;
    /* the child has ended: what is left in the pipe is all there is */
    int fl = fcntl(s->fd, F_GETFL);
    if (fl >= 0) fcntl(s->fd, F_SETFL, fl & ~O_NONBLOCK);
    drain_pipe(s);
    close(s->fd);
    bool whole = !s->overflow && decode_outcome(s->buf, s->len, &got);
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
    s->overflow = false;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (sig == SIGINT || sig == SIGTERM || (sig == SIGKILL && we_killed)) {
        memset(out, 0, sizeof *out);
        out->rc = BS_ERR_INTERNAL;
        set_message(out, "%s", interrupted_msg);
        interrupted = true;
        if (whole) run_outcome_free(&got);
    } else if (whole && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        *out = got;
        out->message[sizeof out->message - 1] = '\0';
        if (out->rc == BS_ERR_INTERNAL && strcmp(out->message, interrupted_msg) == 0)
            interrupted = true;
    } else {
        if (whole) run_outcome_free(&got);
        memset(out, 0, sizeof *out);
        out->rc = BS_ERR_INTERNAL;
        if (WIFSIGNALED(status))
            set_message(out, "the run crashed (signal %d: %s)", WTERMSIG(status),
                        strsignal(WTERMSIG(status)));
        else
            set_message(out, "the run ended without a result (exit status %d)",
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    s->pid = 0;
    s->fd = -1;
    return interrupted;
}

/* Fork a child for job j into slot s; false (errno set) when impossible. */
static bool start(slot *s, size_t j, const run_job *job, const sigset_t *child_mask)
{
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    /* Not inherited by later children or by gnuplot (an inherited write end
     * would keep a pipe from ever reaching end of file). */
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        errno = e;
        return false;
    }
    if (pid == 0) {
        close(fds[0]);
        sigprocmask(SIG_SETMASK, child_mask, NULL); /* SIGINT stays blocked: polled */
        run_outcome o;
        run_one(job, &o);
        char *wire;
        size_t len, done = 0;
        if (!encode_outcome(&o, &wire, &len)) _exit(3);
        while (done < len) {
            ssize_t k = write(fds[1], wire + done, len - done);
            if (k > 0)
                done += (size_t)k;
            else if (errno != EINTR)
                _exit(3);
        }
        _exit(0); /* see the top of the file: a child must not return */
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
#ifdef F_SETPIPE_SZ
    fcntl(fds[0], F_SETPIPE_SZ, 1 << 20); /* best effort: room for many scopes */
#endif
    *s = (slot){.pid = pid, .fd = fds[0], .job = j};
    return true;
}

/* Consume signals of `set` that are pending (so that restoring the caller's
 * mask does not deliver a SIGINT we already acted on). */
static void drain(const sigset_t *set)
{
    struct timespec zero = {0, 0};
    while (sigtimedwait(set, NULL, &zero) > 0) {
    }
}

static void mark_unfinished(run_outcome *outcomes, const bool *done, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!done[i]) {
            memset(&outcomes[i], 0, sizeof outcomes[i]);
            outcomes[i].rc = BS_ERR_INTERNAL;
            set_message(&outcomes[i], "%s", interrupted_msg);
        }
    }
}

static bs_rc batch_here(const run_job *jobs, size_t n, run_outcome *outcomes, bool *done,
                        run_progress_fn progress, void *ctx)
{
    size_t finished = 0;
    for (size_t i = 0; i < n; i++) {
        if (sigint_pending())
            return BS_ERR_INTERNAL;
        run_one(&jobs[i], &outcomes[i]);
        if (outcomes[i].rc == BS_ERR_INTERNAL && strcmp(outcomes[i].message, interrupted_msg) == 0)
            return BS_ERR_INTERNAL;
        done[i] = true;
        if (progress)
            progress(ctx, ++finished, n);
    }
    return BS_OK;
}

static bs_rc batch_forked(const run_job *jobs, size_t n, int parallel, run_outcome *outcomes,
                          bool *done, run_progress_fn progress, void *ctx,
                          const sigset_t *waitset, const sigset_t *child_mask)
{
    size_t width = BS_MIN((size_t)parallel, n);
    slot *slots = malloc(width * sizeof *slots);
    if (slots == NULL)
        return BS_ERR_INTERNAL;
    for (size_t k = 0; k < width; k++)
        slots[k] = (slot){.pid = 0, .fd = -1};
    size_t next = 0, running = 0, finished = 0;
    bool interrupted = false, cannot_fork = false;
    bs_rc rc = BS_OK;
    while (running > 0 || (next < n && !interrupted && !cannot_fork)) {
        /* Fill free slots.  A failed fork with children still running waits
         * for one of them to end and tries again. */
        bool fork_failed = false;
        for (size_t k = 0; k < width && next < n && !interrupted && !fork_failed; k++) {
            if (slots[k].pid != 0)
                continue;
            if (start(&slots[k], next, &jobs[next], child_mask)) {
                next++;
                running++;
            } else {
                fork_failed = true;
                if (running == 0) {
                    fprintf(stderr, "balloonsim: cannot start a run: %s\n", strerror(errno));
                    cannot_fork = true;
                    rc = BS_ERR_INTERNAL;
                }
            }
        }
        if (running == 0)
            break;
        struct timespec ts = {0, RUN_WAIT_MS * 1000000L};
        int sig = sigtimedwait(waitset, NULL, &ts);
        if (sig == SIGINT) {
            /* The first ^C asks (children poll for it and clean up), a
             * second one insists. */
            for (size_t k = 0; k < width; k++)
                if (slots[k].pid != 0)
                    kill(slots[k].pid, interrupted ? SIGKILL : SIGINT);
            interrupted = true;
        }
        for (size_t k = 0; k < width; k++)
            if (slots[k].pid != 0) drain_pipe(&slots[k]);
        for (size_t k = 0; k < width; k++) {
            if (slots[k].pid == 0)
                continue;
            int status;
            pid_t r = waitpid(slots[k].pid, &status, WNOHANG);
            if (r == 0 || (r < 0 && errno == EINTR))
                continue;
            size_t j = slots[k].job;
            if (r < 0) { /* cannot happen for our own child; count it as lost */
                close(slots[k].fd);
                free(slots[k].buf);
                slots[k] = (slot){.pid = 0, .fd = -1};
                memset(&outcomes[j], 0, sizeof outcomes[j]);
                outcomes[j].rc = BS_ERR_INTERNAL;
                set_message(&outcomes[j], "lost the run's process: %s", strerror(errno));
            } else {
                bool was_int = collect(&slots[k], status, &outcomes[j], interrupted);
                if (was_int && !interrupted) {
                    /* a child saw a ^C first: stop the others too */
                    interrupted = true;
                    for (size_t q = 0; q < width; q++)
                        if (slots[q].pid != 0)
                            kill(slots[q].pid, SIGINT);
                }
                if (was_int)
                    continue; /* stays "not done": reported as interrupted */
            }
            done[j] = true;
            if (progress)
                progress(ctx, ++finished, n);
        }
        running = 0;
        for (size_t k = 0; k < width; k++)
            running += slots[k].pid != 0;
    }
    free(slots);
    if (interrupted)
        rc = BS_ERR_INTERNAL;
    return rc;
}

bs_rc run_batch(const run_job *jobs, size_t n, int parallel, run_outcome *outcomes,
                run_progress_fn progress, void *ctx)
{
    assert(n == 0 || (jobs != NULL && outcomes != NULL));
    if (n == 0)
        return BS_OK;
    bool *done = calloc(n, sizeof *done);
    if (done == NULL)
        return BS_ERR_INTERNAL;
    sigset_t waitset, old;
    sigemptyset(&waitset);
    sigaddset(&waitset, SIGINT);
    sigaddset(&waitset, SIGCHLD);
    sigprocmask(SIG_BLOCK, &waitset, &old);
    sigset_t child_mask = old;
    sigaddset(&child_mask, SIGINT);
    bs_rc rc = parallel <= 1 ? batch_here(jobs, n, outcomes, done, progress, ctx)
                             : batch_forked(jobs, n, parallel, outcomes, done, progress, ctx,
                                            &waitset, &child_mask);
    /* Whatever stopped the batch, it ran when every job has its outcome. */
    bool all = true;
    for (size_t i = 0; i < n; i++)
        all = all && done[i];
    if (!all)
        mark_unfinished(outcomes, done, n);
    rc = all ? BS_OK : BS_ERR_INTERNAL;
    drain(&waitset);
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(done);
    return rc;
}

/* ---------------------------------------------------------------- progress */

run_bar run_bar_start(bool on, bool eta)
{
    return (run_bar){.on = on, .eta = eta, .t0 = now_s()};
}

void run_bar_draw(void *ctx, size_t done, size_t total)
{
    run_bar *b = ctx;
    if (!b->on)
        return;
    int pct = total ? (int)(100 * done / total) : 100;
    char line[41];
    int fill = pct * 40 / 100;
    for (int i = 0; i < 40; i++)
        line[i] = i < fill ? '#' : '.';
    line[40] = '\0';
    char eta[32] = "";
    if (b->eta && done > 0 && done < total) {
        double left = (now_s() - b->t0) / (double)done * (double)(total - done);
        long s = (long)(left + 0.5);
        if (s >= 3600)
            snprintf(eta, sizeof eta, ", ETA %ldh%02ldm", s / 3600, s / 60 % 60);
        else if (s >= 60)
            snprintf(eta, sizeof eta, ", ETA %ldm%02lds", s / 60, s % 60);
        else
            snprintf(eta, sizeof eta, ", ETA %lds", s);
    }
    fprintf(stderr, "\r[%s] %zu/%zu runs%s%s", line, done, total, eta, b->eta ? "   " : "");
    fflush(stderr);
    b->shown = true;
}

void run_bar_clear(const run_bar *b)
{
    if (b->on && b->shown)
        fprintf(stderr, "\r%*s\r", b->eta ? 79 : 72, "");
}
