/*
 * fuzz-main: runs a libFuzzer harness over files without libFuzzer, so
 * every fuzz corpus also runs as an ordinary test under gcc. Arguments
 * are files or directories (every regular file inside, not recursive).
 * Each input is also fed truncated at every 7th byte, to walk the
 * harness through short reads; past the first 4 KiB of a large input
 * (> 64 KiB) only at about 1024 evenly spaced lengths, so a 1 MiB seed
 * costs ~1,600 runs instead of ~150,000 (quadratic under ASan).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;
	if (!f) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* an exact-size copy so ASan sees reads past the end */
	long big_step = n > 65536 ? n / 1024 : 7;
	for (long cut = n; cut >= 0; cut -= cut > 4096 ? big_step : 7) {
		uint8_t *copy = malloc(cut ? (size_t)cut : 1);
		if (!copy)
			break;
		memcpy(copy, buf, (size_t)cut);
		LLVMFuzzerTestOneInput(copy, (size_t)cut);
		free(copy);
		if (cut < 7)
			break;
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long files = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			if (!d) {
				perror(argv[i]);
				return 1;
			}
			while ((de = readdir(d))) {
				char p[4096];
				if (de->d_name[0] == '.')
					continue;
				snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
				if (run_file(p) < 0) {
					closedir(d);
					return 1;
				}
				files++;
			}
			closedir(d);
		} else {
			if (run_file(argv[i]) < 0)
				return 1;
			files++;
		}
	}
	printf("%lu corpus files ran\n", files);
	return files ? 0 : 1;
}
