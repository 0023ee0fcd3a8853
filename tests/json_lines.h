/* SPDX-License-Identifier: MIT */
/*
 * A JSON syntax check (RFC 8259) for the trace's JSON Lines, so that the
 * tests need no interpreter: json_line_valid() says whether a line is one
 * JSON object and nothing else.
 */
#ifndef IOMMUSIM_TESTS_JSON_LINES_H
#define IOMMUSIM_TESTS_JSON_LINES_H

#include <stdbool.h>
#include <string.h>

static bool json_value(const char **p, int depth);

static void json_space(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
		(*p)++;
}

static bool json_string(const char **p)
{
	if (**p != '"')
		return false;
	for ((*p)++; **p != '"'; (*p)++) {
		if ((unsigned char)**p < 0x20)
			return false;
		if (**p == '\\') {
			(*p)++;
			if (**p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
						    (*p)[i]) || !(*p)[i])
						return false;
				*p += 4;
			} else if (!**p || !strchr("\"\\/bfnrt", **p)) {
				return false;
			}
		}
	}
	(*p)++;
	return true;
}

static bool json_digits(const char **p)
{
	const char *start = *p;

	while (**p >= '0' && **p <= '9')
		(*p)++;
	return *p > start;
}

static bool json_number(const char **p)
{
	if (**p == '-')
		(*p)++;
	if (**p == '0')
		(*p)++;
	else if (!json_digits(p))
		return false;
	if (**p == '.') {
		(*p)++;
		if (!json_digits(p))
			return false;
	}
	if (**p == 'e' || **p == 'E') {
		(*p)++;
		if (**p == '+' || **p == '-')
			(*p)++;
		if (!json_digits(p))
			return false;
	}
	return true;
}

/* An object or array: its open char was seen; members until close. */
static bool json_members(const char **p, char close, bool keyed, int depth)
{
	(*p)++;
	json_space(p);
	if (**p == close) {
		(*p)++;
		return true;
	}
	for (;;) {
		json_space(p);
		if (keyed) {
			if (!json_string(p))
				return false;
			json_space(p);
			if (*(*p)++ != ':')
				return false;
		}
		if (!json_value(p, depth + 1))
			return false;
		json_space(p);
		if (**p == close) {
			(*p)++;
			return true;
		}
		if (*(*p)++ != ',')
			return false;
	}
}

static bool json_literal(const char **p, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(*p, word, n))
		return false;
	*p += n;
	return true;
}

static bool json_value(const char **p, int depth)
{
	if (depth > 64)
		return false;
	json_space(p);
	switch (**p) {
	case '{':
		return json_members(p, '}', true, depth);
	case '[':
		return json_members(p, ']', false, depth);
	case '"':
		return json_string(p);
	case 't':
		return json_literal(p, "true");
	case 'f':
		return json_literal(p, "false");
	case 'n':
		return json_literal(p, "null");
	default:
		return json_number(p);
	}
}

/* Whether line (its newline may end it) is one JSON object. */
static inline bool json_line_valid(const char *line)
{
	const char *p = line;

	json_space(&p);
	if (*p != '{' || !json_value(&p, 0))
		return false;
	json_space(&p);
	return *p == '\0';
}

#endif /* IOMMUSIM_TESTS_JSON_LINES_H */
