# The chart of `make bench`: each set-up's speed relative to plain ext4
# per workload (above 1 is faster; times are inverted so every bar reads
# the same way). scripts/bench-report.js writes the data.
# usage: gnuplot -e "datafile='build/bench/chart.dat'; outfile='build/bench/results.png'" scripts/bench-chart.gp
set terminal pngcairo size 1400,640 font "sans,11" noenhanced
set output outfile
set title "Speed relative to plain ext4 (higher is better; QEMU TCG guest, medians)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set datafile missing '?'
set key outside right top vertical
set ylabel "× plain ext4 (log scale)"
set logscale y 2
set yrange [0.005:*]
set grid ytics
set format y "%g"
set xtics rotate by -25
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "#444444"
# Columns: the workload, then one per set-up (counted on the first data line).
columns = int(system(sprintf("awk 'NR == 2 { print NF; exit }' '%s'", datafile)))
plot for [i=2:columns] datafile using i:xtic(1) title columnheader(i)
