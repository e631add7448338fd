/* vg_b64: being written (issue 3). */
