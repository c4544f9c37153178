import { useCallback, useEffect, useState } from 'react';
import { applyNodeChanges, type Node, type NodeChange } from '@xyflow/react';

/**
 * Nodes of a read-only canvas (run viewer, diff): recomputed from outside on every change, but React Flow still has
 * to measure them and remember it (a node it never saw measured stays hidden), and selection stays its own.
 */
export function useShownNodes<N extends Node>(computed: N[]) {
  const [nodes, setNodes] = useState<N[]>(computed);
  useEffect(() => {
    setNodes(previous => {
      const old = new Map(previous.map(n => [n.id, n]));
      return computed.map(n => ({ ...n, measured: old.get(n.id)?.measured ?? n.measured }));
    });
  }, [computed]);
  const onNodesChange = useCallback((changes: NodeChange<N>[]) => setNodes(ns => applyNodeChanges(changes, ns)), []);
  return [nodes, onNodesChange] as const;
}
