import { pickLanguage } from '../shared/language.ts';

/** The widget's own words, by language; the `language` attribute picks one, else the page's or browser's. */
export interface Strings {
  title: string;
  greeting: string;
  placeholder: string;
  send: string;
  stop: string;
  open: string;
  close: string;
  reset: string;
  sources: string;
  closest: string;
  searching: string;
  checking: string;
  abstained: string;
  notAllowed: (origin: string) => string;
  rateLimited: (seconds: number) => string;
  badKey: string;
  unreachable: string;
  failed: (message: string) => string;
  stopped: string;
  poweredBy: string;
}

const en: Strings = {
  title: 'Ask our docs',
  greeting: 'Hi! Ask me anything about these documents. I answer only from them, and show where each answer comes from.',
  placeholder: 'Ask a question…',
  send: 'Send',
  stop: 'Stop',
  open: 'Open chat',
  close: 'Close chat',
  reset: 'New conversation',
  sources: 'Sources',
  closest: 'Closest passages',
  searching: 'Searching the documents…',
  checking: 'Checking the answer against the sources…',
  abstained: 'No grounded answer',
  notAllowed: (origin) => `This assistant is not enabled for this site (${origin}). Its owner can allow it on the Cairn server.`,
  rateLimited: (s) => `Too many questions in a short time. Please try again in ${s} s.`,
  badKey: 'This assistant is not set up correctly: its key is unknown or revoked.',
  unreachable: 'The assistant cannot be reached right now.',
  failed: (m) => `Something went wrong: ${m}`,
  stopped: 'Stopped.',
  poweredBy: 'Answers grounded by Cairn',
};

const fr: Strings = {
  ...en,
  title: 'Questions sur la documentation',
  greeting: 'Bonjour ! Posez vos questions sur ces documents. Je réponds uniquement à partir d’eux, en citant mes sources.',
  placeholder: 'Posez une question…',
  send: 'Envoyer',
  stop: 'Arrêter',
  open: 'Ouvrir le chat',
  close: 'Fermer le chat',
  reset: 'Nouvelle conversation',
  sources: 'Sources',
  closest: 'Passages les plus proches',
  searching: 'Recherche dans les documents…',
  checking: 'Vérification de la réponse…',
  abstained: 'Pas de réponse fondée',
  notAllowed: (o) => `Cet assistant n’est pas activé pour ce site (${o}).`,
  rateLimited: (s) => `Trop de questions. Réessayez dans ${s} s.`,
  badKey: 'Cet assistant est mal configuré : sa clé est inconnue ou révoquée.',
  unreachable: 'L’assistant est injoignable pour le moment.',
  failed: (m) => `Une erreur est survenue : ${m}`,
  stopped: 'Arrêté.',
};

const de: Strings = {
  ...en,
  title: 'Fragen zur Dokumentation',
  greeting: 'Hallo! Fragen Sie mich zu diesen Dokumenten. Ich antworte nur aus ihnen und zeige die Quellen.',
  placeholder: 'Frage stellen…',
  send: 'Senden',
  stop: 'Stopp',
  open: 'Chat öffnen',
  close: 'Chat schließen',
  reset: 'Neues Gespräch',
  sources: 'Quellen',
  closest: 'Nächste Passagen',
  searching: 'Durchsuche die Dokumente…',
  checking: 'Prüfe die Antwort an den Quellen…',
  abstained: 'Keine belegte Antwort',
  notAllowed: (o) => `Dieser Assistent ist für diese Website (${o}) nicht freigegeben.`,
  rateLimited: (s) => `Zu viele Fragen. Bitte in ${s} s erneut versuchen.`,
  badKey: 'Dieser Assistent ist falsch eingerichtet: sein Schlüssel ist unbekannt oder widerrufen.',
  unreachable: 'Der Assistent ist gerade nicht erreichbar.',
  failed: (m) => `Fehler: ${m}`,
  stopped: 'Gestoppt.',
};

const es: Strings = {
  ...en,
  title: 'Pregunta a la documentación',
  greeting: '¡Hola! Pregúntame sobre estos documentos. Respondo solo a partir de ellos y muestro las fuentes.',
  placeholder: 'Escribe una pregunta…',
  send: 'Enviar',
  stop: 'Detener',
  open: 'Abrir chat',
  close: 'Cerrar chat',
  reset: 'Nueva conversación',
  sources: 'Fuentes',
  closest: 'Pasajes más cercanos',
  searching: 'Buscando en los documentos…',
  checking: 'Comprobando la respuesta…',
  abstained: 'Sin respuesta fundamentada',
  notAllowed: (o) => `Este asistente no está habilitado para este sitio (${o}).`,
  rateLimited: (s) => `Demasiadas preguntas. Inténtalo de nuevo en ${s} s.`,
  badKey: 'Este asistente está mal configurado: su clave es desconocida o está revocada.',
  unreachable: 'No se puede contactar con el asistente ahora.',
  failed: (m) => `Algo salió mal: ${m}`,
  stopped: 'Detenido.',
};

const LANGUAGES = { en, fr, de, es };

export function stringsFor(language: string | null): Strings {
  const wanted = [language, document.documentElement.lang, navigator.language];
  return LANGUAGES[pickLanguage(wanted, ['en', 'fr', 'de', 'es'] as const, 'en')];
}
