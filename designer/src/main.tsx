import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './App';
import { SignedIn } from './session';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SignedIn><App /></SignedIn>
  </StrictMode>,
);
