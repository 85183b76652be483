# Template compare-metrics.gp -- each metric of one scenario per policy, bars
# of the mean with the 95 % confidence interval over the seeds, one
# multiplot panel per metric.  balloonsim writes DIR/plots/SCENARIO-metrics.gp
# as a header setting the variables below, then this text (docs/plots.md).
#   out        picture to draw           scenario   the scenario's name
#   $data      per policy: name, then mean and ci95 of each metric (GiB for sizes)
#   np         policies                  nseeds     seeds per policy
#   nm         metrics (panels)          rows, cols multiplot layout
#   x_hi       right end of the x axis   mtitle[m]  title of panel m
#   ytop[m]    top of panel m's y axis (autoscale would leave error bars out)
set datafile separator whitespace
set datafile missing NaN
set terminal pngcairo size 1200,800 noenhanced font ',9'
set output out
set grid
set style fill solid 0.5 border -1
set boxwidth 0.6
set errorbars 4
set xtics rotate by -30 nomirror
set grid noxtics ytics
set xrange [-0.6:x_hi]
set multiplot layout rows,cols title sprintf('policies on %s: mean and 95 %% confidence interval over %d seed%s', scenario, nseeds, nseeds == 1 ? '' : 's')
do for [m=1:nm] {
    set title mtitle[m]
    set yrange [0:ytop[m]]
    # eval: the columns of metric m as plain numbers, not expressions.
    eval sprintf("plot $data using 0:%d:%d:xtic(1) with boxerrorbars lc rgb '#4477aa' notitle", 2 * m, 2 * m + 1)
}
unset multiplot
