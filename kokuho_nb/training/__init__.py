"""OJT: exercises generated from the handling flowcharts, the trainee app, printable sheets, training records."""
