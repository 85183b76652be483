# Template compare-stall-cdf.gp -- the distribution of the stall fraction of
# one scenario, a line per policy: the share of the sampled VM-time (after
# warmup, VMs on) with stall <= x.  balloonsim writes
# DIR/plots/SCENARIO-stall-cdf.gp as a header setting the variables below,
# then this text (docs/plots.md).
#   out         picture to draw            scenario   the scenario's name
#   nseeds      seeds per policy           ncdf       lines drawn (policies with samples)
#   $cdfP       stall, cumulative share of policy P (in -p order)
#   cdf_id[i]   P of line i                cdf_name[i]  its policy
set datafile separator whitespace
set datafile missing NaN
set terminal pngcairo size 1200,800 noenhanced font ',9'
set output out
set grid
set xlabel 'stall fraction'
set ylabel 'share of VM-time with stall <= x'
set xrange [0:1]
set yrange [0:1.02]
set key bottom right
set title sprintf('stall distribution: %s (%d seed%s, after warmup)', scenario, nseeds, nseeds == 1 ? '' : 's')
if (ncdf == 0) {
    set label 1 'no samples' at graph 0.5, graph 0.5 center
    plot NaN notitle
} else {
    # One plot command; eval names each line's datablock.
    cmd = 'plot'
    do for [i=1:ncdf] {
        cmd = cmd.sprintf("%s $cdf%d using 1:2 with steps lw 2 title cdf_name[%d]", i > 1 ? ',' : '', cdf_id[i], i)
    }
    eval cmd
}
