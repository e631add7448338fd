/* vg_sniff: being written (issue 3). */
