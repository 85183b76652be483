/* bench.c -- `make bench`: the engine's speed on a large generated scenario.
 *
 * 100 hosts x 100 VMs, about 1.5x overcommitted, diurnal demand with noise that
 * changes once a minute per VM, the proportional policy every 10 s, 24 h.  The
 * goal of the simulation-core issue: under 10 s on one core with a peak RSS
 * under 200 MiB.  This is a benchmark that reports figures, never a test that
 * fails on timing: machines differ.  `bench [HOSTS VMS_PER_HOST]` scales it. */
#include "sim/engine.h"
#include "sim/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int hosts = argc > 1 ? atoi(argv[1]) : 100;
    int per_host = argc > 2 ? atoi(argv[2]) : 100;
    if (hosts < 1 || per_host < 1) {
        fprintf(stderr, "usage: bench [HOSTS VMS_PER_HOST]\n");
        return 2;
    }
    char path[] = "/tmp/balloonsim-bench-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    if (fd < 0) {
        perror("bench: mkstemps");
        return 3;
    }
    FILE *f = fdopen(fd, "w");
    /* 4 GiB VMs; (memory - reserved) = VMs * 4 GiB / 1.5 */
    double host_gib = per_host * 4.0 / 1.5 + 4.0;
    fprintf(f,
            "name: bench\n"
            "duration: 24h\n"
            "seed: 1\n"
            "sample_interval: 1h\n"
            "policy: {name: proportional, interval: 10s}\n"
            "hosts:\n"
            "  - name: node\n"
            "    count: %d\n"
            "    memory: %.0fGiB\n"
            "    reserved: 4GiB\n"
            "    swap: 64GiB\n"
            "    vms:\n"
            "      - name: vm\n"
            "        count: %d\n"
            "        memory: 4GiB\n"
            "        min: 1GiB\n"
            "        swap: 1GiB\n"
            "        workload: {type: diurnal, base: 1GiB, peak: 3GiB, peak_at: 14h, "
            "noise: 5%%, cache: 256MiB}\n",
            hosts, host_gib, per_host);
    fclose(f);

    cfg_errs errs = {0};
    scen *sc = NULL;
    scen_overrides ov = {0};
    double t_load = now_s();
    bs_rc rc = scen_load(path, &ov, &errs, &sc);
    unlink(path);
    if (rc != BS_OK) {
        cfg_errs_print(&errs, stderr);
        cfg_errs_free(&errs);
        return rc;
    }
    double t_run = now_s();
    eng_result res;
    rc = eng_run(sc, NULL, &res);
    double t_end = now_s();
    if (rc != BS_OK) {
        fprintf(stderr, "bench: run failed (%d)\n", rc);
        scen_free(sc);
        return rc;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double wall = t_end - t_run;
    printf("scenario      %d hosts x %d VMs, 24 h, proportional every 10 s, overcommit %.2f\n",
           hosts, per_host, res.run.v[MET_OVERCOMMIT_RATIO]);
    printf("load          %.3f s\n", t_run - t_load);
    printf("run           %.3f s   (goal < 10 s)\n", wall);
    printf("events        %llu\n", (unsigned long long)res.events);
    printf("events/s      %.3g\n", (double)res.events / wall);
    printf("peak RSS      %.1f MiB   (goal < 200 MiB)\n", (double)ru.ru_maxrss / 1024.0);
    printf("stall_s       %.1f   guest_oom_kills %.0f   host_oom_kills %.0f\n",
           res.run.v[MET_STALL_S], res.run.v[MET_GUEST_OOM_KILLS], res.run.v[MET_HOST_OOM_KILLS]);
    eng_result_free(&res);
    scen_free(sc);
    return 0;
}
