# Template memory.gp -- guest memory (demand, actual, target) per VM over
# time, one multiplot panel per VM.  balloonsim writes DIR/plots/memory.gp
# as a header setting the variables below, then this text (docs/plots.md).
#   out         picture to draw          tu, tunit   seconds per x unit, its name
#   xmax        end of the x axis        title_run   scenario / policy / seed
#   title_note  '' or which VMs are shown           n, name[1..n]   the VMs
#   rows, cols  multiplot layout         pick(s)     panel (1..n) of VM s, else 0
set datafile separator ','
set datafile missing NaN
GiB = 1073741824.0
# Rows of the shown VMs, copied in ONE pass over the CSV into $sel (time,
# panel, demand, actual, target); the terminal is set afterwards, so that
# `set table` never meets an open PNG.
set table $sel separator comma
plot '../timeseries.csv' every ::1 using 1:(pick(strcol(3))):4:6:7 with table if (pick(strcol(3)) > 0)
unset table
set terminal pngcairo size 1200,800 noenhanced font ',9'
set output out
set xlabel 'time ('.tunit.')'
set xrange [0:xmax]
set grid
set ylabel 'GiB'
set yrange [0:*]
set key top left
set multiplot layout rows,cols title 'memory per VM: '.title_run.title_note
do for [k=1:n] {
    set title name[k]
    plot $sel using ($1/tu):($2 == k ? $3/GiB : NaN) with lines lw 1.5 title 'demand', \
         '' using ($1/tu):($2 == k ? $4/GiB : NaN) with lines lw 1.5 title 'actual', \
         '' using ($1/tu):($2 == k ? $5/GiB : NaN) with lines lw 1.5 title 'target'
}
unset multiplot
