# Template host.gp -- host memory (used, free, swapped) over time, one
# multiplot panel per host.  balloonsim writes DIR/plots/host.gp as a header
# setting the variables below, then this text (docs/plots.md).
#   out         picture to draw          tu, tunit   seconds per x unit, its name
#   xmax        end of the x axis        title_run   scenario / policy / seed
#   title_note  '' or which hosts are shown         n, name[1..n]   the hosts
#   rows, cols  multiplot layout         pick(s)     panel (1..n) of host s, else 0
set datafile separator ','
set datafile missing NaN
GiB = 1073741824.0
# $sel: time, panel, used, free, swapped (one pass over the CSV).
set table $sel separator comma
plot '../hosts.csv' every ::1 using 1:(pick(strcol(2))):3:4:5 with table if (pick(strcol(2)) > 0)
unset table
set terminal pngcairo size 1200,800 noenhanced font ',9'
set output out
set xlabel 'time ('.tunit.')'
set xrange [0:xmax]
set grid
set ylabel 'GiB'
set yrange [0:*]
set key top left
set multiplot layout rows,cols title 'host memory: '.title_run.title_note
do for [k=1:n] {
    set title name[k]
    plot $sel using ($1/tu):($2 == k ? $3/GiB : NaN) with lines lw 1.5 title 'used', \
         '' using ($1/tu):($2 == k ? $4/GiB : NaN) with lines lw 1.5 title 'free', \
         '' using ($1/tu):($2 == k ? $5/GiB : NaN) with lines lw 1.5 title 'swapped'
}
unset multiplot
