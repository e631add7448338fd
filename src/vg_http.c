/* vg_http: being written (issue 3). */
