'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

interface Suggestion {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
}

/**
 * The header's search form with instant suggestions (WAI-ARIA combobox with a listbox popup: arrow keys move,
 * Enter opens the highlighted product, Escape closes). Without JavaScript it is a plain GET form to /search.
 */
export function SearchBox({ initial = '' }: { readonly initial?: string }) {
  const router = useRouter();
  const id = useId();
  const listId = `${id}-list`;
  const [query, setQuery] = useState(initial);
  const [suggestions, setSuggestions] = useState<readonly Suggestion[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const latest = useRef(0);

  useEffect(() => {
    const q = query.trim();
    if (q.length < 2) {
      setSuggestions([]);
      return;
    }
    const ticket = ++latest.current;
    const timer = setTimeout(() => {
      fetch(`/api/suggestions?q=${encodeURIComponent(q)}`, { headers: { accept: 'application/json' } })
        .then((response) => (response.ok ? response.json() : { suggestions: [] }))
        .then((body: { suggestions?: Suggestion[] }) => {
          if (ticket !== latest.current) return;
          setSuggestions(body.suggestions ?? []);
          setActive(-1);
        })
        .catch(() => {
          if (ticket === latest.current) setSuggestions([]);
        });
    }, 120);
    return () => {
      clearTimeout(timer);
    };
  }, [query]);

  const expanded = open && suggestions.length > 0;

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' && suggestions.length > 0) {
      event.preventDefault();
      setOpen(true);
      setActive((index) => (index + 1) % suggestions.length);
    } else if (event.key === 'ArrowUp' && suggestions.length > 0) {
      event.preventDefault();
      setOpen(true);
      setActive((index) => (index <= 0 ? suggestions.length - 1 : index - 1));
    } else if (event.key === 'Escape') {
      setOpen(false);
      setActive(-1);
    } else if (event.key === 'Enter' && expanded && active >= 0) {
      const chosen = suggestions[active];
      if (chosen) {
        event.preventDefault();
        setOpen(false);
        router.push(`/p/${encodeURIComponent(chosen.sku)}`);
      }
    }
  }

  return (
    <form role="search" action="/search" method="get" className="search">
      <label htmlFor={`${id}-q`} className="visually-hidden">
        Search products
      </label>
      <input
        id={`${id}-q`}
        type="search"
        name="q"
        value={query}
        autoComplete="off"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && active >= 0 ? `${listId}-${active}` : undefined}
        onChange={(event) => {
          setQuery(event.target.value);
          setOpen(true);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => {
          // Let a click on an option land before the list goes away.
          setTimeout(() => {
            setOpen(false);
          }, 150);
        }}
        onFocus={() => {
          setOpen(true);
        }}
      />
      <button type="submit">Search</button>
      <ul id={listId} role="listbox" aria-label="Suggestions" className="suggestions" hidden={!expanded}>
        {suggestions.map((suggestion, index) => (
          <li
            key={suggestion.sku}
            id={`${listId}-${index}`}
            role="option"
            aria-selected={index === active}
            onMouseDown={(event) => {
              event.preventDefault();
              setOpen(false);
              router.push(`/p/${encodeURIComponent(suggestion.sku)}`);
            }}
          >
            {suggestion.name} <span className="visually-hidden">in </span>
            <small>{suggestion.category}</small>
          </li>
        ))}
      </ul>
    </form>
  );
}
