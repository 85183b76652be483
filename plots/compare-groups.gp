# Template compare-groups.gp -- each metric of one scenario per policy and
# group (a `vms:` item's name): clustered bars of the mean with the 95 %
# confidence interval over the seeds, one multiplot panel per metric, one
# colour per group, so a tenant's fate (a database killed under one policy)
# shows at a glance.  balloonsim writes DIR/plots/SCENARIO-groups.gp as a
# header setting the variables below, then this text (docs/plots.md); only
# scenarios with two groups or more get one.
#   out        picture to draw           scenario   the scenario's name
#   $data      per policy: name, then per metric and per group the mean and
#              ci95 (GiB for sizes): column 2 + 2 * ((m - 1) * ng + g - 1)
#   np         policies                  nseeds     seeds per policy
#   nm         metrics (panels)          ng         groups (bars per policy)
#   rows, cols multiplot layout          x_hi       right end of the x axis
#   mtitle[m]  title of panel m          gname[g]   name of group g
#   ytop[m]    top of panel m's y axis (autoscale would leave error bars out)
set datafile separator whitespace
set datafile missing NaN
set terminal pngcairo size 1200,800 noenhanced font ',9'
set output out
set style fill solid 0.6 border -1
set errorbars 2
set xtics rotate by -30 nomirror
set grid noxtics ytics
set xrange [-0.6:x_hi]
bw = 0.8 / ng
set boxwidth bw
set key top left horizontal reverse Left font ',8' samplen 1
set multiplot layout rows,cols title sprintf('policies on %s per group: mean and 95 %% confidence interval over %d seed%s', scenario, nseeds, nseeds == 1 ? '' : 's')
do for [m=1:nm] {
    set title mtitle[m]
    set yrange [0:ytop[m]]
    # eval: the columns of metric m as plain numbers; the legend in the
    # first panel only
    cmd = 'plot '
    do for [g=1:ng] {
        c = 2 + 2 * ((m - 1) * ng + g - 1)
        cmd = cmd . sprintf("%s$data using ($0 + %.6f):%d:%d%s with boxerrorbars lc %d %s", g > 1 ? ', ' : '', (g - (ng + 1) / 2.0) * bw, c, c + 1, g == 1 ? ':xtic(1)' : '', g, m == 1 ? sprintf('title gname[%d]', g) : 'notitle')
    }
    eval cmd
}
unset multiplot
