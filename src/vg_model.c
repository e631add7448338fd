/* vg_model: being written (issue 3). */
