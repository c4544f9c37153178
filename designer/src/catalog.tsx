import { createContext, useContext } from 'react';
import type { Activity } from './api/types';

/** The activity catalog (GET /api/activities), loaded once per session. */
export const CatalogContext = createContext<Activity[]>([]);
export const useCatalog = () => useContext(CatalogContext);
export const findActivity = (catalog: Activity[], name: string) => catalog.find(a => a.name === name);
