/* vg_gapi: being written (issue 3). */
