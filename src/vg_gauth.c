/* vg_gauth: being written (issue 3). */
