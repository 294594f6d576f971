/** `taskapp monitor`: the live full-screen view. Keys: ↑↓ move, enter detail, / filter, esc back, q quit. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import type { InvocationDetail } from '../snapshot.js';
import { Counts, Detail, InvocationList, Runners } from './components.js';
import type { TuiSnapshot, TuiSource } from './source.js';

export interface MonitorAppProps {
  source: TuiSource;
  refreshMs?: number;
  appId: string;
  clock?: () => number;
  initialFilter?: string;
}

export function MonitorApp({
  source,
  refreshMs = 1000,
  appId,
  clock = Date.now,
  initialFilter = '',
}: MonitorAppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [snap, setSnap] = useState<TuiSnapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState(0);
  const [detail, setDetail] = useState<InvocationDetail | null>(null);
  const [expanded, setExpanded] = useState(false);
  const [filter, setFilter] = useState(initialFilter);
  const [typing, setTyping] = useState<string | null>(null);
  const selectedId = snap?.rows[selected]?.id;
  const live = useRef(true);

  const refresh = useCallback(async () => {
    try {
      const s = await source.snapshot(filter);
      if (!live.current) {
        return;
      }
      setSnap(s);
      setError(null);
      setSelected((i) => Math.min(i, Math.max(0, s.rows.length - 1)));
    } catch (err) {
      if (live.current) {
        setError((err as Error).message);
      }
    }
  }, [source, filter]);

  useEffect(() => {
    live.current = true;
    void refresh();
    const t = setInterval(() => void refresh(), refreshMs);
    return () => {
      live.current = false;
      clearInterval(t);
    };
  }, [refresh, refreshMs]);

  // The selected invocation's detail follows the selection and each refresh.
  useEffect(() => {
    if (!selectedId) {
      setDetail(null);
      return;
    }
    let current = true;
    source.detail(selectedId).then(
      (d) => {
        if (current) {
          setDetail(d);
        }
      },
      () => {
        if (current) {
          setDetail(null);
        }
      },
    );
    return () => {
      current = false;
    };
  }, [source, selectedId, snap]);

  // Keys can arrive faster than renders: the typing state lives in a ref so none is lost.
  const typingRef = useRef<string | null>(null);
  const setTypingNow = (v: string | null) => {
    typingRef.current = v;
    setTyping(v);
  };
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const expandedRef = useRef(expanded);
  expandedRef.current = expanded;

  useInput((input, key) => {
    const t = typingRef.current;
    if (t !== null) {
      if (key.return) {
        setFilter(t.trim());
        setTypingNow(null);
        setSelected(0);
        return;
      }
      if (key.escape) {
        setTypingNow(null);
        return;
      }
      if (key.backspace || key.delete) {
        setTypingNow(t.slice(0, -1));
        return;
      }
      if (!input || key.ctrl || key.meta) {
        return;
      }
      // Pasted or fast keys arrive as one chunk ("FAILED\r"): take it character by character.
      let text = t;
      for (const ch of input) {
        if (ch === '\r' || ch === '\n') {
          setFilter(text.trim());
          setTypingNow(null);
          setSelected(0);
          return;
        }
        text = ch === '\x7f' || ch === '\b' ? text.slice(0, -1) : text + ch;
      }
      setTypingNow(text);
      return;
    }
    if (input === 'q' || (key.ctrl && input === 'c')) {
      exit();
      return;
    }
    if (input === '/') {
      setTypingNow(filterRef.current);
      return;
    }
    if (key.escape) {
      if (expandedRef.current) {
        setExpanded(false);
      } else if (filterRef.current) {
        setFilter('');
        setSelected(0);
      }
      return;
    }
    if (key.return) {
      setExpanded((e) => !e);
      return;
    }
    const n = snap?.rows.length ?? 0;
    if (key.upArrow || input === 'k') {
      setSelected((i) => Math.max(0, i - 1));
    }
    if (key.downArrow || input === 'j') {
      setSelected((i) => Math.min(Math.max(0, n - 1), i + 1));
    }
    if (key.pageDown) {
      setSelected((i) => Math.min(Math.max(0, n - 1), i + 10));
    }
    if (key.pageUp) {
      setSelected((i) => Math.max(0, i - 10));
    }
  });

  const rowsHeight = Math.max(3, Math.min(15, (stdout?.rows ?? 40) - 24));
  const now = snap?.overview.at ?? clock();
  return (
    <Box flexDirection="column" width={stdout?.columns}>
      <Text>
        <Text bold color="cyan">
          taskapp monitor
        </Text>{' '}
        · app {appId}
        {snap ? ` · ${snap.backend}` : ''} · {new Date(now).toISOString().slice(11, 19)}
        <Text dimColor>{'   ↑↓ move  enter detail  / filter  esc back  q quit'}</Text>
      </Text>
      {error ? <Text color="red">error: {error}</Text> : null}
      {!snap ? (
        <Text dimColor>loading…</Text>
      ) : (
        <>
          {expanded ? null : (
            <Box>
              <Counts
                counts={snap.overview.counts}
                rates={snap.finishedRates}
                queueDepth={snap.overview.queueDepth}
              />
              <Runners runners={snap.overview.runners} />
            </Box>
          )}
          {expanded ? null : (
            <InvocationList
              rows={snap.rows}
              selected={selected}
              now={now}
              filter={filter}
              height={rowsHeight}
            />
          )}
          <Detail d={detail && detail.id === selectedId ? detail : null} expanded={expanded} />
        </>
      )}
      {typing !== null ? (
        <Text>
          <Text color="cyan">filter (task or STATUS[,STATUS]): </Text>
          {typing}
          <Text inverse> </Text>
        </Text>
      ) : null}
    </Box>
  );
}
