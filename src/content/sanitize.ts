// The HTML sanitiser for message content: the seed's allow-list (bleach with strip=True), so the
// seed's XSS vectors give the same stored content here (test/sanitize.test.ts), except where the
// seed was unsafe: a link that opens a new window gets rel="noopener noreferrer" (else the opened
// page can navigate the chat's window through window.opener), and `id` goes (an element with a
// chosen id clobbers the page's globals and its own elements' ids).
import sanitizeHtml from "sanitize-html";

/** What a link with a `target` always carries; a client's own `rel` never survives. */
const NEW_WINDOW_REL = "noopener noreferrer";

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ["b", "i", "strong", "em", "a", "span", "p", "ul", "ol", "li", "br"],
  allowedAttributes: { a: ["href", "title", "target", "rel"], "*": ["class"] },
  transformTags: {
    a: (tagName, attribs) => {
      const { rel: _clientRel, ...kept } = attribs;
      return { tagName, attribs: kept.target === undefined ? kept : { ...kept, rel: NEW_WINDOW_REL } };
    },
  },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  // Like bleach: a disallowed tag goes, its text stays (escaped), script text included. Only
  // elements whose text is never prose lose it.
  disallowedTagsMode: "discard",
  nonTextTags: ["style", "textarea", "option", "noscript"],
};

/** Sanitised HTML: only allowed tags, attributes and URL schemes survive. */
export function sanitizeContent(html: string): string {
  // sanitize-html writes void tags as `<br />`; bleach wrote `<br>`. Attribute values are
  // escaped, so `>` cannot occur inside the match.
  return sanitizeHtml(html, OPTIONS).replace(/<br((?: [^>]*)?) \/>/g, "<br$1>");
}

/** True when sanitised content shows no text: only whitespace and empty tags. */
export function isBlankContent(sanitized: string): boolean {
  return sanitizeHtml(sanitized, { allowedTags: [], allowedAttributes: {} }).trim() === "";
}
