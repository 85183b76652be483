# Template stall.gp -- stall fraction per VM over time, one line per VM.
# balloonsim writes DIR/plots/stall.gp as a header setting the variables
# below, then this text (docs/plots.md).
#   out         picture to draw          tu, tunit   seconds per x unit, its name
#   xmax        end of the x axis        title_run   scenario / policy / seed
#   title_note  '' or which VMs are shown           n, name[1..n]   the VMs
#   pick(s)     line (1..n) of VM s, else 0
set datafile separator ','
set datafile missing NaN
# $sel: time, line, stall (one pass over the CSV).
set table $sel separator comma
plot '../timeseries.csv' every ::1 using 1:(pick(strcol(3))):11 with table if (pick(strcol(3)) > 0)
unset table
set terminal pngcairo size 1200,800 noenhanced font ',9'
set output out
set xlabel 'time ('.tunit.')'
set xrange [0:xmax]
set grid
set ylabel 'stall fraction'
set yrange [0:1.05]
set key outside right
set title 'stall: '.title_run.title_note
plot for [k=1:n] $sel using ($1/tu):($2 == k ? $3 : NaN) with lines lw 1.5 title name[k]
