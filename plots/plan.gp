# Template plan.gp -- a plan's SLO: per comparison of the SLO one panel, the
# worst seed's value and the mean against the planned value, the threshold
# and the answer.  balloonsim writes DIR/plots/plan.gp as a header setting
# the variables below, then this text (docs/plots.md).
#   out          picture to draw        $c1..$cN    value, worst, mean, meets of comparison k
#   nc           comparisons (N)        height      picture height (pixels)
#   rows         multiplot rows         title_plan  picture title
#   xlabel_text  the planned path       x_lo, x_hi  x range
#   found        1 when an answer was found, answer its value
#   ylabel_k[k]  y label of panel k     cname[k]    comparison k as text (key)
#   thr[k]       threshold (NaN when relative to a baseline)
#   yfix[k]      1 when panel k is flat: y range y_lo[k]:y_hi[k] around it
set datafile missing NaN
set terminal pngcairo size 1000,height noenhanced font ',10'
set output out
set multiplot layout rows,1 title title_plan
set grid
set key outside right top
# Panels share the x axis: the same margins line them up.
set lmargin at screen 0.1
set rmargin at screen 0.75
set xlabel xlabel_text
set xrange [x_lo:x_hi]
if (found) {
    set arrow 1 from answer, graph 0 to answer, graph 1 nohead dashtype 2 lc rgb '#2ca02c'
    set label 1 sprintf('answer %d', answer) at answer, graph 0.95 offset 0.5,0 textcolor rgb '#2ca02c'
}
do for [k=1:nc] {
    set ylabel ylabel_k[k]
    if (yfix[k]) { set yrange [y_lo[k]:y_hi[k]] } else { set yrange [*:*] }
    # eval: a datablock is named by text, not by an expression.
    eval sprintf("plot $c%d using 1:2 with linespoints lw 2 pt 7 lc rgb '#d62728' title 'worst seed', $c%d using 1:3 with linespoints dashtype 3 pt 6 lc rgb '#1f77b4' title 'mean', thr[%d] with lines lc rgb 'black' dashtype 2 title cname[%d]", k, k, k, k)
}
unset multiplot
