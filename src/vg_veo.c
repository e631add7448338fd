/* vg_veo: being written (issue 3). */
