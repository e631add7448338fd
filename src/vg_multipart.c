/* vg_multipart: being written (issue 3). */
