# Template sweep.gp -- one metric of a sweep against one axis: a line per
# value of the other axes, mean and 95 % confidence band over the seeds.
# balloonsim writes DIR/plots/METRIC.gp (or GROUP.METRIC@WINDOW.gp, the
# metric of one group or window) as a header setting the variables below,
# then this text (docs/plots.md).
#   out          picture to draw        $s1..$sN   x, mean, low, high of line k
#   ns           lines (N)              sname[k]   title of line k
#   title_plot   picture title          xlabel_text, ylabel_text   axis labels
#   key_title    '' or the other axis   y_lo, y_hi  y range, when set (flat metric)
#   x_lo, x_hi   x range, when set      nxt, xtic[i]  names of a text axis at x = i-1
set datafile missing NaN
set terminal pngcairo size 1000,650 noenhanced font ',10'
set output out
set title title_plot
set xlabel xlabel_text
set ylabel ylabel_text
set grid
set key outside right top
if (key_title ne '') { set key title key_title }
if (exists("y_lo")) { set yrange [y_lo:y_hi] }
# The first tic replaces gnuplot's own, the others add to it.
if (nxt > 0) {
    set xtics (xtic[1] 0)
    do for [i=2:nxt] { set xtics add (xtic[i] i-1) }
}
if (exists("x_lo")) { set xrange [x_lo:x_hi] }
# One plot command, band then line of each series in turn, so that every
# band lies under its own line and the key lists the lines in order.
cmd = 'plot'
do for [k=1:ns] {
    cmd = cmd.sprintf("%s $s%d using 1:3:4 with filledcurves lc %d fs transparent solid 0.15 noborder notitle, $s%d using 1:2 with linespoints lc %d lw 2 pt 7 ps 0.8 title sname[%d]", k > 1 ? ',' : '', k, k, k, k, k)
}
eval cmd
