/* vg_gtext: being written (issue 3). */
