# Template compare-memory.gp -- memory of each policy's most-stalled VM
# (demand, actual, target in GiB) over time, one multiplot panel per
# policy, for the first seed.  balloonsim writes DIR/plots/SCENARIO-memory.gp
# as a header setting the variables below, then this text (docs/plots.md).
#   out         picture to draw          scenario   the scenario's name
#   tu, tunit   seconds per x unit, its name        xmax  end of the x axis
#   seed        the seed shown (text)    np         policies (panels)
#   rows, cols  multiplot layout         pname[p]   policy of panel p
#   has[p]      1 when its run was read  vmname[p]  its most-stalled VM
#   csvfile[p]  that run's timeseries.csv, relative to this directory
set datafile separator whitespace
set datafile missing NaN
GiB = 1073741824.0
set datafile separator ','
# $mP: time, demand, actual, target of that VM (one pass over the CSV).
do for [p=1:np] {
    if (has[p]) {
        eval sprintf('set table $m%d separator comma', p)
        plot csvfile[p] every ::1 using 1:4:6:7 with table if (strcol(3) eq vmname[p])
        unset table
    }
}
set terminal pngcairo size 1200,800 noenhanced font ',9'
set output out
set grid
set xlabel 'time ('.tunit.')'
set xrange [0:xmax]
set ylabel 'GiB'
set yrange [0:*]
set key top left
set multiplot layout rows,cols title 'most-stalled VM per policy: '.scenario.' / seed '.seed
do for [p=1:np] {
    if (has[p]) {
        set title pname[p].': '.vmname[p]
        eval sprintf("plot $m%d using ($1/tu):($2/GiB) with lines lw 1.5 title 'demand', '' using ($1/tu):($3/GiB) with lines lw 1.5 title 'actual', '' using ($1/tu):($4/GiB) with lines lw 1.5 title 'target'", p)
    } else {
        set title pname[p].' (no data)'
        # An empty panel needs a range of its own: gnuplot refuses to
        # autoscale a plot with no point at all.
        set yrange [0:1]
        plot NaN notitle
        set yrange [0:*]
    }
}
unset multiplot
