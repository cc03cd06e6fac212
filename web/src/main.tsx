/** Entry point: styles, then the page into #app. */
import { render } from 'preact';
import { App } from './app.tsx';
import './styles/base.css';
import './styles/layout.css';
import './styles/chat.css';
import './styles/markdown.css';
import './styles/admin.css';
import './styles/request-log.css';

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
