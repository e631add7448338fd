/* h_files: being written (issue 3). */
