/* Helpers shared by the source/ files; not part of the API. */
#pragma once

/* Sets *ret_err to "PATH: strerror(-r)", adding how to get access for
 * EACCES/EPERM (sudo, group adm). Returns r. */
int source_path_err(char **ret_err, int r, const char *path);
