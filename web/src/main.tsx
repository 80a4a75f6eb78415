import './styles/base.css';
import './styles/layout.css';
import './styles/chat.css';
import './styles/extras.css';
import './styles/mobile.css';
import { render } from 'preact';
import { App } from './app.tsx';
import { lang } from './i18n.ts';
import { applyTheme, loadCollections, readHash, theme } from './state.ts';

document.documentElement.lang = lang.get() === 'zh' ? 'zh-CN' : 'en';
applyTheme(theme.get());
readHash();
render(<App />, document.getElementById('app') as HTMLElement);
void loadCollections();
