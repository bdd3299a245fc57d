/*
 * openvex: exceptions to and from OpenVEX 0.2.0 documents
 * (https://github.com/openvex/spec).
 *
 * Out: one statement per exception in force and advisory it covers —
 *   accept        status "affected", action_statement "Risk accepted by
 *                 OWNER until DATE: REASON. Compensating controls …"
 *   not-affected  status "not_affected", the justification, and the reason
 *                 as impact_statement
 * products are the packages as purls (pkg:deb/debian/NAME), and
 * status_notes carries moat's fields in a form read back on import
 * ("moat: id=E1; owner=alice; until=2027-01-31; review=…; controls=A | B").
 * A package or host exception covers every exposed finding of it: one
 * statement per advisory (so export needs the assessment for those).
 *
 * In: every statement with status affected or not_affected becomes a
 * proposed exception (nothing is in force until an operator signs it);
 * fixed and under_investigation statements are reported, not proposed.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "exceptions/register.h"

struct exposure_result;

/* Writes the document into *ret (caller frees). author: the document's
 * author ("alice (moat ledger key)"); doc_id: its @id (an IRI). ex may be
 * NULL: package and host exceptions then have no advisories and are left
 * out (counted in *ret_left_out). Returns 0 or -ENOMEM. */
int openvex_export(const struct exc_register *r, const struct exposure_result *ex, const char *author,
		   const char *doc_id, int64_t now_s, char **ret, size_t *ret_left_out);

struct vex_proposal {
	char *advisory, *package, *justification, *reason, *owner;
	enum exc_kind kind;
	int64_t until_s, review_s; /* 0 when the document does not say */
	char *controls[EXC_CONTROLS_MAX];
	size_t n_controls;
};

#define VEX_MAX_STATEMENTS 10000

/* Reads a document. Statements that propose nothing (fixed,
 * under_investigation, malformed) are counted with a reason in
 * *ret_notes (caller frees each and the array). Returns 0 with *ret and *ret_n,
 * or -EINVAL with *ret_err (not an OpenVEX document). */
int openvex_import(const char *buf, size_t len, struct vex_proposal **ret, size_t *ret_n, char ***ret_notes,
		   size_t *ret_n_notes, char **ret_err);
void vex_proposals_free(struct vex_proposal *v, size_t n);
